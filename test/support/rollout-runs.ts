// Scenario rollout through `check` on the local platform, real servers: the default manifests deployed and
// bootstrapped as the base, then a head (a copy of them with one edit) applied over them under write load as
// `kubectl apply` does. For the rollout suites (split in files that run side by side: each case is a run of its own).
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config.ts';
import { runCheck } from '../../src/pipeline/check.ts';
import type { Report } from '../../src/report/model.ts';
import type { Log } from '../../src/util/log.ts';

/** PIDs of processes whose command line names an address of `base` (a pod's server announces its IP). */
export async function livePids(base: string): Promise<string[]> {
  const r = await promisify(execFile)('pgrep', ['-f', `${base.replaceAll('.', '\\.')}\\.`]).catch(() => ({
    stdout: '',
  }));
  return r.stdout.split('\n').filter(Boolean);
}

/** The first scenario's check `id`. */
export const check = (r: Report, id: string) => r.scenarios[0]!.checks.find((c) => c.id === id);

/** A suite's heads and rollouts, in a temporary dir made before its tests and removed after them. */
export function rolloutRuns(test: Test) {
  let dir = '';
  test.before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcr-rollout-'));
  });
  test.after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A copy of the default manifests with `edit` applied to one file's text (which must change). */
  const head = async (name: string, file: string, edit: (text: string) => string): Promise<string> => {
    const to = join(dir, name);
    await cp('manifests', to, { recursive: true });
    const text = await readFile(join(to, file), 'utf8');
    const changed = edit(text);
    assert.is.not(changed, text, `${name}: the edit of ${file} changed nothing`);
    await writeFile(join(to, file), changed);
    return to;
  };

  const rollout = async (
    headDir: string,
    addressBase: string,
    extra: Record<string, string> = {},
    signal?: AbortSignal,
    onLine?: (line: string) => void,
  ): Promise<{ report: Report; why: string }> => {
    const lines: string[] = [];
    const say = (m: string) => {
      lines.push(m);
      onLine?.(m);
    };
    const log: Log = { info: say, warn: (m) => say(`warning: ${m}`), progress: () => {} };
    const config = parseConfig(
      'check',
      {
        platform: 'local',
        manifests: headDir,
        'base-manifests': 'manifests',
        scenario: 'rollout',
        'write-rate': '100',
        'report-dir': join(dir, `report-${addressBase}`),
        ...extra,
      },
      'flag',
      'manifests',
    );
    const report = await runCheck(config, {
      log,
      addressBase,
      workDirs: { root: join(dir, 'runs') },
      ...(signal ? { signal } : {}),
    });
    const s = report.scenarios[0];
    const why = `${report.error ?? ''}\n${s ? `${s.status} ${s.error ?? ''}\n  ${s.checks.map((c) => `${c.id} ${c.status}: ${c.summary}`).join('\n  ')}` : ''}\n${lines.slice(-40).join('\n')}`;
    return { report, why };
  };
  return { head, rollout };
}
