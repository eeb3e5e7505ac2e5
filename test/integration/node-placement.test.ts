/**
 * Where pods run, judged on real servers through the local platform's emulated nodes: the default manifests on
 * 3 nodes (placement passes after the bootstrap and after master-failover; node-loss fails every master of the
 * lost node over and its pods return with their NodeIDs), on 1 node (placement fails naming the node and the
 * slots), on 2 (the node-aware bootstrap makes it pass), and node-loss in delete mode, after which a rescheduled
 * pod shares a node with its master: placement fails after that scenario though it passed after the bootstrap.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config.ts';
import { runCheck } from '../../src/pipeline/check.ts';
import type { Check, Report } from '../../src/report/model.ts';
import type { Log } from '../../src/util/log.ts';

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-nodes-'));
});
test.after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function check(
  addressBase: string,
  flags: Record<string, string>,
  manifests = 'manifests',
): Promise<{ report: Report; why: string }> {
  const lines: string[] = [];
  const log: Log = { info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`), progress: () => {} };
  const config = parseConfig(
    'check',
    { platform: 'local', manifests, 'write-rate': '50', 'report-dir': join(dir, addressBase), ...flags },
    'flag',
    'manifests',
  );
  const report = await runCheck(config, { log, addressBase });
  const why = `${report.error ?? ''}\n${report.scenarios.map((s) => `${s.name} ${s.status} ${s.error ?? ''}\n  ${s.checks.map((c) => `${c.id} ${c.status}: ${c.summary}`).join('\n  ')}`).join('\n')}\n${lines.join('\n')}`;
  return { report, why };
}

const checkOf = (report: Report, scenario: string, id: Check['id']): Check => {
  const c = report.scenarios.find((s) => s.name === scenario)?.checks.find((x) => x.id === id);
  assert.ok(c, `${scenario} has check ${id}`);
  return c;
};

test('default manifests on 3 nodes: node-loss passes; placement passes after the bootstrap, node-loss and master-failover', async () => {
  const { report, why } = await check('127.0.132', { scenario: 'node-loss,master-failover' });
  assert.is(report.verdict, 'pass', why);
  assert.is(report.bootstrap?.placement?.status, 'pass', why);
  assert.is(report.bootstrap?.exposed, undefined);
  assert.is(checkOf(report, 'master-failover', 'placement').status, 'pass', why);
  const loss = report.scenarios.find((s) => s.name === 'node-loss')!;
  assert.is(loss.status, 'pass', why);
  assert.match(
    checkOf(report, 'node-loss', 'shards-failed-over').summary,
    /^every shard of node local-worker\d* failed over/,
  );
  assert.match(checkOf(report, 'node-loss', 'pods-not-replaced').summary, 'kept their UIDs and were not Ready');
  assert.is(checkOf(report, 'node-loss', 'node-ids-kept').status, 'pass');
  assert.is(checkOf(report, 'node-loss', 'rejoined-as-replica').status, 'pass');
  assert.is(checkOf(report, 'node-loss', 'placement').status, 'pass');
  assert.ok(loss.timeline.some((e) => e.event === 'node-lost') && loss.timeline.some((e) => e.event === 'node-back'));
});

test('one node: placement fails after the bootstrap naming the node and the slots; the run still finishes', async () => {
  const { report, why } = await check('127.0.133', { workers: '1', scenario: 'replica-loss' });
  assert.is(report.verdict, 'fail', why);
  assert.is(report.error, undefined, why);
  const placed = report.bootstrap?.placement;
  assert.is(placed?.status, 'fail', why);
  assert.match(placed!.summary, 'one node failure takes 16384 slots');
  assert.match(placed!.summary, 'node local-worker holds every copy of slots 0-5460 (5461 slots)');
  assert.is(report.bootstrap?.exposed?.length, 3);
  assert.is(report.scenarios[0]!.status, 'fail', 'placement fails after the scenario too');
  assert.is(checkOf(report, 'replica-loss', 'placement').status, 'fail');
});

test('two nodes: the node-aware bootstrap keeps every replica off its master node, so placement passes', async () => {
  const { report, why } = await check('127.0.134', { workers: '2', scenario: 'replica-loss' });
  assert.is(report.bootstrap?.placement?.status, 'pass', why);
  assert.is(report.verdict, 'pass', why);
});

test('node-loss delete: a pod rescheduled onto its master node makes placement fail after the scenario', async () => {
  const { report, why } = await check('127.0.135', { scenario: 'node-loss', 'node-loss-mode': 'delete' });
  assert.is(report.bootstrap?.placement?.status, 'pass', why);
  assert.is(checkOf(report, 'node-loss', 'shards-failed-over').status, 'pass', why);
  assert.match(checkOf(report, 'node-loss', 'pod-recreated').summary, 'recreated elsewhere');
  assert.is(checkOf(report, 'node-loss', 'node-ids-kept').status, 'pass', why);
  const placement = checkOf(report, 'node-loss', 'placement');
  assert.is(placement.status, 'fail', why);
  assert.match(placement.summary, /node local-worker\d holds every copy of slots/);
  assert.is(report.verdict, 'fail');
});

test('required anti-affinity on fewer nodes than pods: the pod no node takes stays Pending, and the deploy says so', async () => {
  const manifests = join(dir, 'required');
  await cp('manifests', manifests, { recursive: true });
  const sts = join(manifests, 'statefulset.yaml');
  const text = await readFile(sts, 'utf8');
  const required = text.replace(
    /preferredDuringSchedulingIgnoredDuringExecution:\n\s*- weight: 100\n\s*podAffinityTerm:\n/,
    'requiredDuringSchedulingIgnoredDuringExecution:\n            - \n',
  );
  assert.is.not(required, text, 'the fixture turned the preferred term into a required one');
  await writeFile(sts, required);
  const { report, why } = await check('127.0.136', { workers: '2', 'fail-on-lint': 'never' }, manifests);
  assert.is(report.verdict, 'error', why);
  assert.match(
    report.error ?? '',
    "redis-app-2 stays Pending: 0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.",
  );
});

test.run();
