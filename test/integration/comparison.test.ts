/**
 * Base against head on the local platform, real servers: a head that raises cluster-node-timeout from 5000 to
 * 15000 fails over about three times slower; master-failover runs on both (a fresh cluster each) and a 20 %
 * failover-regression budget fails with both figures. Lean on purpose: no writer, one scenario.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config.ts';
import { runCheck } from '../../src/pipeline/check.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import type { Log } from '../../src/util/log.ts';

let dir = '';
test.after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('cluster-node-timeout 5000 -> 15000: the failover regression shown side by side, over a 20 % budget', async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-compare-'));
  const head = join(dir, 'head');
  await cp('manifests', head, { recursive: true });
  const conf = join(head, 'configmap.yaml');
  await writeFile(
    conf,
    (await readFile(conf, 'utf8')).replace('cluster-node-timeout 5000', 'cluster-node-timeout 15000'),
  );
  const lines: string[] = [];
  const log: Log = { info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`), progress: () => {} };
  const config = parseConfig(
    'check',
    {
      platform: 'local',
      manifests: head,
      'base-manifests': 'manifests',
      scenario: 'master-failover',
      'write-rate': '0',
      'max-failover-regression': '20%',
      'report-dir': join(dir, 'report'),
    },
    'flag',
    'manifests',
  );
  const report = await runCheck(config, { log, addressBase: '127.0.127', workDirs: { root: join(dir, 'runs') } });
  const why = `${report.error ?? ''}\n${report.scenarios.map((s) => s.checks.map((c) => `${c.id} ${c.status}: ${c.summary}`).join('\n')).join('\n')}\n${lines.slice(-30).join('\n')}`;
  assert.ok(
    lines.some((l) => l.startsWith('base: ')),
    'the base side ran first, its lines marked',
  );
  const failover = report.comparison?.scenarios
    .find((s) => s.name === 'master-failover')
    ?.figures.find((f) => f.figure === 'failoverMs');
  assert.ok(failover?.base !== undefined && failover.head !== undefined, why);
  assert.ok(failover.head > failover.base * 1.2, JSON.stringify(failover));
  const check = report.scenarios[0]!.checks.find((c) => c.id === 'failover-regression')!;
  assert.is(check.status, 'fail', why);
  assert.match(check.summary, `${failover.base} ms on base, ${failover.head} ms on head`);
  assert.match(check.summary, 'over the 20 % budget');
  assert.is(report.verdict, 'fail', why);
  const md = renderMarkdown(report);
  assert.match(md, '### Base against head');
  assert.match(md, `| master-failover | failover (ms) | ${failover.base} | ${failover.head} |`);
});

test.run();
