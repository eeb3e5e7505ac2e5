/**
 * The local platform's Jobs (src/platform/local/jobs.ts) in the bubblewrap sandbox, as Kubernetes runs them:
 * restartPolicy Never makes a new pod per retry, OnFailure restarts the same pod's container, backoffLimit ends
 * the Job, completions other than 1 are refused, and the hosts file the platform gives the pod is its /etc/hosts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifestFile } from '../../src/manifests/load.ts';
import type { ManifestSet } from '../../src/manifests/model.ts';
import { startLocalJobs, type LocalJobsDeps } from '../../src/platform/local/jobs.ts';
import { startProcess, type Supervised } from '../../src/platform/local/process.ts';
import { findBwrap } from '../../src/platform/local/sandbox.ts';
import { containedPath } from '../../src/util/contained-path.ts';
import { silentLog } from '../../src/util/log.ts';
import { waitFor } from '../../src/util/wait.ts';
import { beforeAll } from '../support/setup.ts';

let dir = '';
let bwrap = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-jobs-'));
  const found = await findBwrap();
  if (!('path' in found)) throw new Error(found.missing);
  bwrap = found.path;
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const job = (spec: string, script: string) =>
  `apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec:
${spec}
  template:
    spec:
      containers:
        - name: c
          image: busybox
          command: [sh, -c, ${JSON.stringify(script)}]
`;

function setup(yaml: string, name: string) {
  const set: ManifestSet = { dir: 'm', files: ['m/j.yaml'], objects: parseManifestFile('m/j.yaml', yaml) };
  const procs: Supervised[] = [];
  const workDir = join(dir, name);
  const deps: LocalJobsDeps = {
    set,
    workDir,
    inside: (p, what) => containedPath(workDir, p, { what }),
    // As the platform starts its sandboxes (local/pod-sandbox.ts spawnSandbox), without its firewall cgroup.
    spawn: (cmd, logFile) =>
      startProcess(bwrap, cmd.args, {
        cwd: workDir,
        output: { logFile },
        registryDir: join(workDir, 'pids'),
        fds: cmd.fds,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      }),
    log: silentLog,
    hostsText: () => '127.0.0.1\tlocalhost\n127.0.0.9\tredis-0.redis.default.svc.cluster.local redis-0.redis\n',
    track: (p) => procs.push(p),
  };
  return { set, deps, procs };
}

const finished = (jobs: ReturnType<typeof startLocalJobs>) =>
  waitFor(
    'the Job to finish',
    async () => {
      const s = jobs.statuses()[0]!;
      return s.state === 'running' ? { done: false, seen: s.detail } : { done: true, value: s };
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );

test('restartPolicy Never: a new pod per retry, BackoffLimitExceeded after backoffLimit + 1 pods, its log kept', async () => {
  const { set, deps, procs } = setup(
    job('  backoffLimit: 1', 'echo "I am $(hostname)"; exit 3').replace(
      'containers:',
      'restartPolicy: Never\n      containers:',
    ),
    'never',
  );
  const jobs = startLocalJobs(set.objects, deps);
  const s = await finished(jobs);
  await jobs.stop();
  assert.is(s.state, 'failed');
  assert.match(
    s.detail,
    /^BackoffLimitExceeded: 2 failed pod\(s\), backoffLimit 1; the last: container c exited with code 3$/,
  );
  // Two pods, two names (each retry is a new pod): the hostnames differ.
  assert.is(procs.length, 2);
  assert.match(s.lastLog, /I am j-[0-9a-f]{5}/);
  assert.ok(
    procs.every((p) => p.exit),
    'every process exited',
  );
});

test('restartPolicy OnFailure: the same pod, its container restarted; an emptyDir outlives the restart; success ends the Job', async () => {
  const script =
    'n=$(cat /work/n 2>/dev/null || echo 0); echo $((n + 1)) > /work/n; echo "run $((n + 1)) on $(hostname)"; [ $n -ge 1 ]';
  const yaml = job('  backoffLimit: 3', script)
    .replace(
      'containers:',
      'restartPolicy: OnFailure\n      volumes:\n        - name: work\n          emptyDir: {}\n      containers:',
    )
    .replace('command:', 'volumeMounts:\n            - name: work\n              mountPath: /work\n          command:');
  const { set, deps } = setup(yaml, 'onfailure');
  const jobs = startLocalJobs(set.objects, deps);
  const s = await finished(jobs);
  await jobs.stop();
  assert.is(s.state, 'succeeded', `${s.detail}\n${s.lastLog}`);
  assert.match(s.lastLog, /run 2 on j-[0-9a-f]{5}/);
});

test('the pod resolves the names its hosts file gives it (getent, as a bootstrap script does)', async () => {
  const { set, deps } = setup(
    job('', 'getent hosts redis-0.redis').replace('containers:', 'restartPolicy: Never\n      containers:'),
    'dns',
  );
  const jobs = startLocalJobs(set.objects, deps);
  const s = await finished(jobs);
  await jobs.stop();
  assert.is(s.state, 'succeeded', s.lastLog);
  assert.match(s.lastLog, /127\.0\.0\.9\s+redis-0\.redis\.default\.svc\.cluster\.local/);
});

test('a bare Pod (restartPolicy Never) runs once under its own name; OnFailure restarts it until it succeeds', async () => {
  const pod = (policy: string, script: string) => `apiVersion: v1
kind: Pod
metadata:
  name: creator
spec:
  restartPolicy: ${policy}
  volumes:
    - name: work
      emptyDir: {}
  containers:
    - name: c
      image: busybox
      volumeMounts:
        - name: work
          mountPath: /work
      command: [sh, -c, ${JSON.stringify(script)}]
`;
  const once = setup(pod('Never', 'echo "on $(hostname)"; exit 1'), 'pod-never');
  const failed = startLocalJobs(once.set.objects, once.deps);
  const f = await finished(failed);
  await failed.stop();
  assert.equal([f.name, f.state, f.detail], ['Pod creator', 'failed', 'pod creator container c exited with code 1']);
  assert.match(f.lastLog, /on creator/);
  const again = setup(pod('OnFailure', 'test -e /work/seen && exit 0; touch /work/seen; exit 1'), 'pod-onfailure');
  const ok = startLocalJobs(again.set.objects, again.deps);
  const s = await finished(ok);
  await ok.stop();
  assert.is(s.state, 'succeeded', s.detail);
  assert.is(again.procs.length, 2);
});

test('a subPath that climbs out of its volume fails the Job, nothing is bound from outside the run', async () => {
  const yaml = job('  backoffLimit: 0', 'cat /w/passwd')
    .replace(
      'containers:',
      'restartPolicy: Never\n      volumes:\n        - name: w\n          emptyDir: {}\n      containers:',
    )
    .replace(
      'command:',
      'volumeMounts:\n            - name: w\n              mountPath: /w\n              subPath: ../../../../../../etc\n          command:',
    );
  const { set, deps, procs } = setup(yaml, 'subpath');
  const jobs = startLocalJobs(set.objects, deps);
  const s = await finished(jobs);
  await jobs.stop();
  assert.is(s.state, 'failed');
  assert.match(s.detail, /subPath of volume w/);
  assert.is(procs.length, 0);
});

test('not run, with why (file and line): a bad backoffLimit, privileged, completions other than 1, restartPolicy Always, a hostPath volume', async () => {
  const never = (spec: string) => job(spec, 'true').replace('containers:', 'restartPolicy: Never\n      containers:');
  const cases: Array<[string, RegExp]> = [
    [
      never('  backoffLimit: 1').replace(
        'image: busybox',
        'image: busybox\n          securityContext: {privileged: true}',
      ),
      /m\/j\.yaml:\d+: container c is privileged/,
    ],
    [never('  backoffLimit: many'), /m\/j\.yaml:6: Job j has backoffLimit "many"; expected a whole number of retries/],
    [
      never('  completions: 3'),
      /m\/j\.yaml:6: Job j has completions 3; the local platform runs Jobs of one completion/,
    ],
    [
      job('  backoffLimit: 1', 'true').replace('containers:', 'restartPolicy: Always\n      containers:'),
      /Job j needs restartPolicy Never or OnFailure \(the API server refuses Always for a Job\)/,
    ],
    [
      never('  backoffLimit: 1').replace(
        'containers:',
        'volumes:\n        - name: h\n          hostPath: {path: /etc}\n      containers:',
      ),
      /volume h is not a ConfigMap, Secret or emptyDir/,
    ],
  ];
  for (const [yaml, error] of cases) {
    const { set, deps, procs } = setup(yaml, 'refused');
    const jobs = startLocalJobs(set.objects, deps);
    const [s] = jobs.statuses();
    assert.is(s?.state, 'not-run');
    assert.match(s?.detail ?? '', error);
    await jobs.stop();
    assert.is(procs.length, 0);
  }
});

test.run();
