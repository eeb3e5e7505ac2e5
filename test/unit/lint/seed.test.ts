import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { lintManifests } from '../../../src/manifests/lint/index.ts';
import { loadManifests } from '../../../src/manifests/load.ts';
import type { LintFinding } from '../../../src/report/model.ts';

// The seed post's manifests: every fault docs/design.md lists must be found by the right rule at the right line.
// Lines are looked up in the fixture text, so the assertion is against the files themselves.
const SEED = path.relative(process.cwd(), path.join(import.meta.dirname, '../../fixtures/seed'));
const MANIFESTS = path.relative(process.cwd(), path.join(import.meta.dirname, '../../../manifests'));

/** file:line of every line of a seed file that contains `text`. */
function linesOf(name: string, text: string): string[] {
  const file = `${SEED}/${name}`.split(path.sep).join('/');
  return readFileSync(path.join(SEED, name), 'utf8')
    .split('\n')
    .flatMap((line, i) => (line.includes(text) ? [`${file}:${i + 1}`] : []));
}

/** The line after the first one containing `text` (where locate() puts a mapping or list value). */
function nextLineAfter(name: string, text: string): string {
  const [first] = linesOf(name, text);
  assert.ok(first, `${name} has no line with ${text}`);
  const [file, line] = [first.slice(0, first.lastIndexOf(':')), Number(first.slice(first.lastIndexOf(':') + 1))];
  return `${file}:${line + 1}`;
}

let findings: LintFinding[] = [];
const at = (rule: string) =>
  findings
    .filter((f) => f.rule === rule)
    .map((f) => `${f.at?.file}:${f.at?.line}`)
    .sort();
const severities = (rule: string) => [...new Set(findings.filter((f) => f.rule === rule).map((f) => f.severity))];

beforeAll(test, async () => {
  findings = lintManifests(await loadManifests(SEED), { kubernetesVersion: '1.31', nodes: 1 });
});

test('apps/v1beta1 StatefulSet: removed in 1.16', () => {
  assert.equal(at('api-removed'), linesOf('redis-statefulset.yml', 'apiVersion: apps/v1beta1'));
  assert.equal(severities('api-removed'), ['error']);
});

test('no spec.selector (points into the spec mapping, at its first key)', () => {
  assert.equal(at('statefulset-selector'), [nextLineAfter('redis-statefulset.yml', 'spec:')]);
  assert.equal(severities('statefulset-selector'), ['error']);
});

test('one master with two replicas cannot fail over', () => {
  assert.equal(at('topology'), linesOf('redis-statefulset.yml', 'replicas: 3'));
  assert.equal(severities('topology'), ['error']);
  assert.match(findings.find((f) => f.rule === 'topology')!.message, /1 master/);
});

test('redis:3.2.8 is older than 6.2', () => {
  assert.equal(at('image-version'), linesOf('redis-statefulset.yml', 'image: redis:3.2.8'));
  assert.equal(severities('image-version'), ['error']);
});

test('preferred anti-affinity on one node: info', () => {
  assert.equal(at('anti-affinity'), linesOf('redis-statefulset.yml', 'topologyKey: kubernetes.io/hostname'));
  assert.equal(severities('anti-affinity'), ['info']);
});

test('provisioner Local', () => {
  assert.equal(at('storage-provisioner'), linesOf('redis-sc.yml', 'provisioner: Local'));
  assert.equal(severities('storage-provisioner'), ['error']);
});

test('Recycle on each of the three PVs', () => {
  const lines = linesOf('redis-pv.yml', 'persistentVolumeReclaimPolicy: Recycle');
  assert.is(lines.length, 3);
  assert.equal(at('pv-recycle'), lines);
});

test('${MY_DEV_HOST}" : placeholder and stray quote on each PV', () => {
  const lines = linesOf('redis-pv.yml', 'server: ${MY_DEV_HOST}"');
  assert.is(lines.length, 3);
  assert.equal(at('unresolved-placeholder'), lines);
  assert.equal(at('stray-quote'), lines);
});

test('NodePort in front of the cluster pods', () => {
  assert.equal(at('external-service'), linesOf('redis-access-service.yml', 'type: NodePort'));
});

test('pod IP not announced: warning at the args', () => {
  assert.equal(at('redis-announce-ip'), [nextLineAfter('redis-statefulset.yml', 'args:')]);
  assert.equal(severities('redis-announce-ip'), ['warning']);
});

test('nothing re-introduces the nodes after a whole restart: warning at the Redis container', () => {
  // The container's `- name: redis` (the first such line; a port further down is named redis too).
  assert.equal(at('redis-peer-rediscovery'), linesOf('redis-statefulset.yml', '- name: redis').slice(0, 1));
  assert.equal(severities('redis-peer-rediscovery'), ['warning']);
  assert.match(findings.find((f) => f.rule === 'redis-peer-rediscovery')!.fix, /CLUSTER MEET <peer-ip> 6379/);
});

test('what the seed got right is not reported', () => {
  for (const rule of [
    'redis-persistence',
    'redis-cluster-enabled',
    'redis-node-timeout',
    'cluster-bus-port',
    'pv-binding',
    'schema',
    'statefulset-service',
  ]) {
    assert.equal(at(rule), [], rule);
  }
});

test("the project's default manifests: no error, no warning", async () => {
  for (const nodes of [1, 3]) {
    const found = lintManifests(await loadManifests(MANIFESTS), { nodes });
    const serious = found.filter((f) => f.severity !== 'info');
    assert.equal(
      serious.map((f) => `${f.rule} ${f.at?.file}:${f.at?.line} ${f.message}`),
      [],
      `nodes ${nodes}`,
    );
  }
});

test('findings are sorted by file, then line', () => {
  const keys = findings.map((f) => [f.at?.file ?? '', f.at?.line ?? 0] as const);
  const sorted = [...keys].sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
  assert.equal(keys, sorted);
});

test.run();
