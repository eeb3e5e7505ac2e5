import { mkdtemp, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AnnotationProperties } from '@actions/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULTS } from '../../../src/config.ts';
import { runCheck } from '../../../src/pipeline/check.ts';
import { annotateRunError } from '../../../src/report/annotations.ts';
import type { Report } from '../../../src/report/model.ts';
import { writeReports } from '../../../src/report/write.ts';
import { silentLog } from '../../../src/util/log.ts';
import { displayPath } from '../../../src/util/paths.ts';
import { suiteFixture } from './api-fixture.ts';

// A run the API server breaks after the platform is up still leaves its report: verdict error, the server's
// message, the manifest's file:line of the refused field, the summary and the evidence.
const current = suiteFixture(test, ['default']);
const dirs: string[] = [];
test.after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tempDir = async (name: string) => {
  const d = await mkdtemp(path.join(os.tmpdir(), `${name}-`));
  dirs.push(d);
  return d;
};

/** The default manifests with one file edited; `marker` finds the edited line. */
async function editedManifests(
  name: string,
  edit: (text: string) => string,
  marker: string,
): Promise<{ dir: string; file: string; line: number }> {
  const dir = await tempDir('manifests');
  for (const f of await readdir('manifests'))
    if (f.endsWith('.yaml')) await copyFile(path.join('manifests', f), path.join(dir, f));
  const file = path.join(dir, name);
  const text = edit(await readFile(file, 'utf8'));
  await writeFile(file, text);
  return { dir, file, line: text.split('\n').findIndex((l) => l.includes(marker)) + 1 };
}

/** The default manifests, with the access Service made a NodePort on 6379 (outside the node port range). */
const manifestsWithNodePort = () =>
  editedManifests(
    'access-service.yaml',
    (t) =>
      t
        .replace('type: ClusterIP', 'type: NodePort')
        .replace('targetPort: 6379', 'targetPort: 6379\n      nodePort: 6379'),
    'nodePort: 6379',
  );

/** check --platform existing against the fixture. */
const checkOn = async (manifests: string, reportDir: string): Promise<Report> =>
  runCheck(
    {
      ...DEFAULTS,
      command: 'check',
      platform: 'existing',
      kubeconfig: current().kubeconfig,
      manifests,
      reportDir,
      failOnLint: 'never',
      rolloutTimeoutMs: 1500,
    },
    { log: silentLog, workDirs: { root: await tempDir('runs') } },
  );

test('an apply the server refuses (422): report.json and summary.md with verdict error, the message and file:line', async () => {
  const manifests = await manifestsWithNodePort();
  const reportDir = await tempDir('report');
  const report = await checkOn(manifests.dir, reportDir);
  await writeReports(report, reportDir);
  assert.is(report.verdict, 'error');
  const shown = displayPath(manifests.file);
  const message = `Service "redis-access-service" is invalid: spec.ports[0].nodePort: Invalid value: 6379: provided port is not in the valid range. The range of valid ports is 30000-32767`;
  assert.ok(
    report.error?.startsWith(
      `${shown}:${manifests.line}: Service redis-access-service was rejected as invalid (422): ${message}`,
    ),
    report.error,
  );
  assert.equal(report.errorAt, { file: shown, line: manifests.line, column: 17 });
  const written = JSON.parse(await readFile(path.join(reportDir, 'report.json'), 'utf8')) as Report;
  assert.is(written.verdict, 'error');
  assert.equal(written.errorAt, report.errorAt);
  assert.ok(written.error?.includes(message));
  const summary = await readFile(path.join(reportDir, 'summary.md'), 'utf8');
  assert.ok(summary.includes(`${shown}:${manifests.line}`), 'the summary names the place');
  assert.ok(summary.includes('provided port is not in the valid range'), 'the summary has the server’s message');
  // The action annotates the refused line.
  const annotations: Array<[string, AnnotationProperties | undefined]> = [];
  const record = (m: string, p?: AnnotationProperties) => void annotations.push([m, p]);
  annotateRunError(report, { error: record, warning: record, notice: record });
  assert.equal(annotations, [
    [report.error, { title: 'refused by the cluster', file: shown, startLine: manifests.line, startColumn: 17 }],
  ]);
  // Evidence was collected (the events of the namespace at least) and the namespace was torn down.
  assert.ok(Array.isArray(report.evidence), 'evidence collected');
  assert.equal(
    current()
      .server.list('Namespace')
      .map((n) => n.metadata.name)
      .filter((n) => n !== 'default' && !current().server.get('Namespace', undefined, n)?.metadata.deletionTimestamp),
    [],
  );
});

test('a pod template the server refuses (mode: 755, decimal): verdict error at the template’s line, the pods’ refusal quoted', async () => {
  const manifests = await editedManifests('statefulset.yaml', (t) => t.replace('mode: 0755', 'mode: 755'), 'mode: 755');
  const report = await checkOn(manifests.dir, await tempDir('report'));
  assert.is(report.verdict, 'error');
  assert.match(
    report.error ?? '',
    /Pod "redis-app-0" is invalid: spec\.volumes\[0\]\.configMap\.items\[1\]\.mode: Invalid value: 755: must be a number between 0 and 0777 \(octal\), both inclusive/,
  );
  assert.equal(report.errorAt, { file: displayPath(manifests.file), line: manifests.line, column: 23 });
});

test.run();
