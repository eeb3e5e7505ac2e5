// The undo journal and its executors: recorded before each change, kept in a work-dir file or in action state,
// undone newest first and idempotently by the CLI's cleanup and by the action's post step. The Kubernetes undos
// run against the API fixture (test/unit/kube/api-fixture.ts); kind and ip are stand-in binaries on PATH.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as core from '@actions/core';
import type { KubeTarget, UndoStep } from '../../../src/platform/undo.ts';
import { defaultExecutors, undoUnsettled, type UndoExecutors } from '../../../src/undo/executors.ts';
import {
  actionStateStore,
  fileStore,
  RecordingJournal,
  replayJournal,
  type JournalEntry,
} from '../../../src/undo/journal.ts';
import {
  cleanStaleRuns,
  createRunDir,
  ensurePrivateRoot,
  finishRunDir,
  processAlive,
} from '../../../src/undo/work-dir.ts';
import { runDirTrust } from '../../../src/undo/trust.ts';
import { silentLog } from '../../../src/util/log.ts';
import { waitFor } from '../../../src/util/wait.ts';
import { startApiFixture, type ApiFixture } from '../kube/api-fixture.ts';
import { installFakeIp } from '../kube/fake-ip.ts';
import { kindArch } from '../../../src/platform/kind-install.ts';
import { beforeAll } from '../../support/setup.ts';

let dir = '';
let fixture: ApiFixture;
beforeAll(test, async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rcr-undo-'));
  fixture = await startApiFixture();
});
test.after(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed, and this hook still runs
  await fixture?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Executors that only record what they were asked to undo (and fail where told to). */
function recordingExecutors(failKind?: UndoStep['kind']): { executors: UndoExecutors; done: string[] } {
  const done: string[] = [];
  const run = async (step: UndoStep) => {
    if (step.kind === failKind) throw new Error(`${step.kind} refused`);
    done.push(step.kind);
  };
  return {
    executors: Object.fromEntries(Object.keys(defaultExecutors).map((k) => [k, run])) as unknown as UndoExecutors,
    done,
  };
}

test('file journal: every record and settle is on disk before it resolves; a reopened journal sees what is left', async () => {
  const file = path.join(dir, 'undo.json');
  const journal = await RecordingJournal.open(fileStore(file));
  const cluster = await journal.record({ kind: 'kind-cluster', cluster: 'rr', kindVersion: 'v0.29.0' });
  assert.equal(
    replayJournal(readFileSync(file, 'utf8')).map((e) => e.step.kind),
    ['kind-cluster'],
  );
  await journal.record({ kind: 'pod-route', cidr: '10.244.1.0/24', via: '172.18.0.2' });
  await journal.settle(cluster);
  const again = await RecordingJournal.open(fileStore(file));
  assert.equal(
    again.unsettled().map((e) => e.step.kind),
    ['pod-route'],
  );
});

test('file journal: a settle appends one line to a 20,000-entry journal instead of rewriting it; an array journal of an earlier version is read', async () => {
  const file = path.join(dir, 'long.json');
  const lines = Array.from({ length: 20_000 }, (_, i) =>
    JSON.stringify({
      record: { id: `e${i}`, step: { kind: 'pod-route', cidr: '10.0.0.0/24', via: '10.0.0.1' }, settled: false },
    }),
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
  const before = readFileSync(file, 'utf8');
  const journal = await RecordingJournal.open(fileStore(file));
  await journal.settle('e7');
  const after = readFileSync(file, 'utf8');
  assert.ok(after.startsWith(before), 'what was there is kept as it was');
  assert.is(after.slice(before.length), '{"settle":"e7"}\n');
  assert.is((await RecordingJournal.open(fileStore(file))).unsettled().length, 19_999);
  const legacy = path.join(dir, 'legacy.json');
  writeFileSync(
    legacy,
    JSON.stringify([{ id: 'a', step: { kind: 'pod-route', cidr: '10.0.0.0/24', via: '10.0.0.1' }, settled: false }]),
  );
  const old = await RecordingJournal.open(fileStore(legacy));
  await old.settle('a');
  assert.equal((await RecordingJournal.open(fileStore(legacy))).unsettled(), []);
});

test('action state journal: core.saveState each time; the runner hands the last value to the post step', async () => {
  const stateFile = path.join(dir, 'github-state');
  writeFileSync(stateFile, '');
  process.env.GITHUB_STATE = stateFile;
  try {
    const store = actionStateStore({ save: (n, v) => core.saveState(n, v), get: (n) => core.getState(n) });
    const journal = await RecordingJournal.open(store);
    const ns = await journal.record({
      kind: 'kube-object',
      target: { kubeconfig: '/kc' },
      apiVersion: 'v1',
      objectKind: 'Namespace',
      name: 'ns',
    });
    await journal.record({ kind: 'restart-hold', target: { kubeconfig: '/kc' }, namespace: 'ns', name: 'hold' });
    await journal.settle(ns);
    // The runner reads `name<<delimiter` blocks and keeps the last value of each name as STATE_<name>.
    const blocks = [...readFileSync(stateFile, 'utf8').matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)];
    assert.is(blocks.length, 3);
    process.env['STATE_undo-journal'] = blocks.at(-1)![3];
    const post = await RecordingJournal.open(store);
    assert.equal(
      post.unsettled().map((e) => e.step.kind),
      ['restart-hold'],
    );
  } finally {
    delete process.env.GITHUB_STATE;
    delete process.env['STATE_undo-journal'];
  }
});

test('undo runs newest first, settles what worked, keeps what failed for the next try', async () => {
  const journal = await RecordingJournal.open(fileStore(path.join(dir, 'order.json')));
  await journal.record({ kind: 'kind-cluster', cluster: 'rr', kindVersion: 'v0.29.0' });
  await journal.record({ kind: 'pod-route', cidr: '10.244.1.0/24', via: '172.18.0.2' });
  await journal.record({ kind: 'local-processes', workDir: '/w' });
  const first = recordingExecutors('pod-route');
  const failed = await undoUnsettled(journal, first.executors, silentLog);
  assert.equal(first.done, ['local-processes', 'kind-cluster']);
  assert.equal(failed, ['route 10.244.1.0/24 via 172.18.0.2: pod-route refused']);
  const second = recordingExecutors();
  assert.equal(await undoUnsettled(journal, second.executors, silentLog), []);
  assert.equal(second.done, ['pod-route'], 'only what was left');
});

/** What a main step killed during the hold had recorded on an existing cluster (the quota hold, and a cordon). */
function killedDuringHold(target: KubeTarget): UndoStep[] {
  return [
    { kind: 'kube-object', target, apiVersion: 'v1', objectKind: 'Namespace', name: 'rcr-run' },
    { kind: 'kube-object', target, apiVersion: 'storage.k8s.io/v1', objectKind: 'StorageClass', name: 'rcr-sc-abc' },
    { kind: 'kube-object', target, apiVersion: 'v1', objectKind: 'PersistentVolume', name: 'rcr-pv-abc-0' },
    { kind: 'node-cordon', target, node: 'worker-a', wasUnschedulable: false },
    { kind: 'node-cordon', target, node: 'worker-b', wasUnschedulable: true },
    { kind: 'restart-hold', target, namespace: 'rcr-run', name: 'redis-cluster-resilience-hold' },
  ];
}

function seedCluster(): void {
  const s = fixture.server;
  s.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rcr-run' }, status: { phase: 'Active' } });
  s.put({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'redis-cluster-resilience-hold', namespace: 'rcr-run' },
    spec: { hard: { pods: '5' } },
  });
  s.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'rcr-sc-abc' },
    provisioner: 'kubernetes.io/no-provisioner',
  });
  s.put({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'rcr-pv-abc-0' },
    spec: { capacity: { storage: '1Gi' }, hostPath: { path: '/x' } },
  });
  s.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-a' }, spec: { unschedulable: true } });
  s.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-b' }, spec: { unschedulable: true } });
}

function assertUndone(): void {
  const s = fixture.server;
  assert.is(s.get('ResourceQuota', 'rcr-run', 'redis-cluster-resilience-hold'), undefined, 'the hold is lifted');
  assert.is(s.get('StorageClass', undefined, 'rcr-sc-abc'), undefined);
  assert.is(s.get('PersistentVolume', undefined, 'rcr-pv-abc-0'), undefined);
  const ns = s.get('Namespace', undefined, 'rcr-run');
  assert.ok(!ns || ns.metadata.deletionTimestamp, 'the namespace is gone or going');
  const unschedulable = (node: string) =>
    (s.get('Node', undefined, node)?.spec as { unschedulable?: boolean } | undefined)?.unschedulable;
  assert.is(unschedulable('worker-a'), undefined, "the run's cordon is undone");
  assert.is(unschedulable('worker-b'), true, 'a node cordoned before the run stays cordoned');
}

test('Kubernetes undos against the API fixture: hold lifted, objects deleted, own cordon undone; twice is fine', async () => {
  seedCluster();
  const journal = await RecordingJournal.open(fileStore(path.join(dir, 'kube.json')));
  for (const step of killedDuringHold({ kubeconfig: fixture.kubeconfig })) await journal.record(step);
  assert.equal(await undoUnsettled(journal, defaultExecutors, silentLog), []);
  assertUndone();
  // The same steps again (a post step after a cleanup): everything is already undone, nothing fails.
  const again = await RecordingJournal.open(fileStore(path.join(dir, 'kube-again.json')));
  for (const step of killedDuringHold({ kubeconfig: fixture.kubeconfig })) await again.record(step);
  assert.equal(await undoUnsettled(again, defaultExecutors, silentLog), []);
  assertUndone();
});

test('a refused undo (403) fails naming what was refused, and stays unsettled', async () => {
  fixture.server.put({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'rcr-pv-x' }, spec: {} });
  fixture.route = (req) =>
    req.method === 'DELETE'
      ? {
          status: 403,
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            code: 403,
            reason: 'Forbidden',
            message: 'persistentvolumes "rcr-pv-x" is forbidden: User "ci" cannot delete resource "persistentvolumes"',
          },
        }
      : undefined;
  try {
    const journal = await RecordingJournal.open(fileStore(path.join(dir, 'refused.json')));
    await journal.record({
      kind: 'kube-object',
      target: { kubeconfig: fixture.kubeconfig },
      apiVersion: 'v1',
      objectKind: 'PersistentVolume',
      name: 'rcr-pv-x',
    });
    const failed = await undoUnsettled(journal, defaultExecutors, silentLog);
    assert.is(failed.length, 1);
    assert.match(
      failed[0]!,
      /PersistentVolume rcr-pv-x: deleting PersistentVolume rcr-pv-x: .*forbidden.*\(HTTP 403\)/,
    );
    assert.is(journal.unsettled().length, 1);
  } finally {
    fixture.route = () => undefined;
  }
});

test('run dirs: private root, owner alive while the run lives, stale dirs of dead runs undone and removed', async () => {
  const root = path.join(dir, 'runs');
  const run = await createRunDir(root);
  const trust = await runDirTrust(run.dir);
  assert.ok('owner' in trust && processAlive(trust.owner));
  const open = (await import('node:fs')).statSync(root).mode & 0o777;
  assert.is(open, 0o700);
  // A dir "left by a killed run": its owner file names a process that is gone.
  const dead = path.join(root, 'run-dead01');
  mkdirSync(dead, { mode: 0o700 });
  writeFileSync(
    path.join(dead, 'owner.json'),
    JSON.stringify({ tool: 'redis-cluster-resilience', pid: 2 ** 22 + 1, start: '1' }),
    { mode: 0o600 },
  );
  const deadJournal = await RecordingJournal.open(fileStore(path.join(dead, 'undo.json')));
  await deadJournal.record({ kind: 'local-processes', workDir: dead });
  const { cleaned, failed } = await cleanStaleRuns(root, silentLog);
  assert.equal(cleaned, [dead]);
  assert.equal(failed, []);
  assert.ok(!existsSync(dead));
  assert.ok(existsSync(run.dir), 'a live run is left alone');
  await finishRunDir(run, silentLog);
  assert.ok(!existsSync(root), 'the last run removes the emptied root');
});

test('runs starting and ending side by side: none fails on a root another run just removed', async () => {
  // Each finishing run removes the root once it is empty; the others look for stale dirs and make their own dir
  // in it meanwhile (every run of the tool does both on start: seen as ENOENT on readdir with concurrent runs).
  const root = path.join(dir, 'side-by-side');
  const errors: string[] = [];
  const oneRun = async (): Promise<void> => {
    for (let i = 0; i < 150; i++) {
      try {
        await cleanStaleRuns(root, silentLog);
        await finishRunDir(await createRunDir(root), silentLog);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  };
  await Promise.all([oneRun(), oneRun(), oneRun(), oneRun()]);
  assert.equal(errors.slice(0, 3), [], `${errors.length} of 600 runs failed`);
  assert.ok(!existsSync(root), 'the last run removes the emptied root');
});

test('a root others can write to, or a symlink, is refused', async () => {
  const shared = path.join(dir, 'shared');
  mkdirSync(shared, { mode: 0o777 });
  chmodSync(shared, 0o777);
  const err = await ensurePrivateRoot(shared).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.match(err?.message ?? '', /others may write to it \(mode 777; expected 700\)/);
  const readable = path.join(dir, 'readable');
  mkdirSync(readable);
  chmodSync(readable, 0o755);
  await ensurePrivateRoot(readable); // a --work-dir made with a plain mkdir: others may read, not write
  const link = path.join(dir, 'link');
  (await import('node:fs')).symlinkSync(shared, link);
  const err2 = await ensurePrivateRoot(link).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.match(err2?.message ?? '', /not a directory \(a symlink\?\)/);
});

// A stand-in kind: `get clusters` lists the file `clusters`, `delete cluster --name X` removes X from it.
const FAKE_KIND = `#!/bin/sh
d=$(dirname "$0")
echo "$*" >> "$d/calls"
case "$1 $2" in
  "get clusters") cat "$d/clusters" ;;
  "delete cluster") grep -vx "$4" "$d/clusters" > "$d/c2"; mv "$d/c2" "$d/clusters" ;;
esac
`;

test('post step: a main step killed during the hold left its journal in action state; the post step undoes it all', async () => {
  seedCluster();
  // kind as the run found it: the tool cache's binary of the recorded version.
  const toolCache = path.join(dir, 'tools');
  const kindDir = path.join(toolCache, 'kind', '9.9.9', kindArch());
  mkdirSync(kindDir, { recursive: true });
  writeFileSync(`${kindDir}.complete`, '');
  writeFileSync(path.join(kindDir, 'kind'), FAKE_KIND);
  chmodSync(path.join(kindDir, 'kind'), 0o755);
  writeFileSync(path.join(kindDir, 'clusters'), 'rcr\n');
  const workDir = path.join(dir, 'post-run');
  mkdirSync(path.join(workDir, 'pv'), { recursive: true });
  const target = { kubeconfig: fixture.kubeconfig };
  const steps: UndoStep[] = [
    { kind: 'kind-cluster', cluster: 'rcr', kindVersion: 'v9.9.9' },
    { kind: 'pod-route', cidr: '10.244.1.0/24', via: '172.18.0.2' },
    ...killedDuringHold(target),
  ];
  const entries: JournalEntry[] = steps.map((step, i) => ({ id: String(i), step, settled: false }));
  const ip = installFakeIp(); // sets PATH for the child too
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/post.ts'], {
      env: {
        ...process.env,
        'STATE_undo-journal': JSON.stringify(entries),
        'STATE_work-dir': workDir,
        GITHUB_STATE: '',
        RUNNER_TOOL_CACHE: toolCache,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: string | Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: string | Buffer) => (out += d.toString()));
    const code = await waitFor(
      'the post step to end',
      async () =>
        child.exitCode !== null ? { done: true, value: child.exitCode } : { done: false, seen: out.slice(-300) },
      {
        timeoutMs: 60_000,
      },
    );
    assert.is(code, 0, out);
    assert.not.match(out, /::error::/);
    assertUndone();
    assert.is(readFileSync(path.join(kindDir, 'clusters'), 'utf8'), '', 'the kind cluster is deleted');
    assert.ok(
      ip.calls().some((c) => c.endsWith('ip route del 10.244.1.0/24 via 172.18.0.2')),
      ip.calls().join('\n'),
    );
    // Newest first: the route before the cluster it leads into.
    assert.ok(out.indexOf('undone: route 10.244.1.0/24') < out.indexOf('undone: kind cluster rcr'), out);
    assert.ok(!existsSync(workDir), 'the run dir is removed');
  } finally {
    ip.restore();
  }
});

test.run();
