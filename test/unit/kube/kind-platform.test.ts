import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { DEFAULTS, type Config } from '../../../src/config.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet, RedisDeployment } from '../../../src/manifests/model.ts';
import * as kube from '../../../src/platform/kube.ts';
import { kindArch } from '../../../src/platform/kind-install.ts';
import { fileStore, RecordingJournal } from '../../../src/undo/journal.ts';
import { silentLog, type Log } from '../../../src/util/log.ts';
import { UnsupportedError } from '../../../src/errors.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';
import { ApiServer } from './api-server.ts';
import { installFakeIp } from './fake-ip.ts';

// The kind platform end to end against the API fixture: a fake kind binary in the tool cache "creates" a cluster
// by writing the fixture's kubeconfig, `ip` is a recording stand-in, and the pods' IPs come from node pod CIDRs
// on loopback (127.231.x.0/24), so the reach preflight really connects to them: refused (nothing listens) or
// accepted (a test listener).
let fixture: ApiFixture;
let dir = '';
let ip: ReturnType<typeof installFakeIp>;
const saved = {
  cache: process.env.RUNNER_TOOL_CACHE,
  temp: process.env.RUNNER_TEMP,
  path: process.env.PATH,
  getuid: process.getuid,
};

beforeAll(test, async () => {
  fixture = await startApiFixture();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kind-platform-'));
  const version = DEFAULTS.kindVersion.replace(/^v/, '');
  const toolDir = path.join(dir, 'tools', 'kind', version, kindArch());
  mkdirSync(toolDir, { recursive: true });
  writeFileSync(`${toolDir}.complete`, '');
  writeFileSync(
    path.join(toolDir, 'kind'),
    `#!/bin/sh
echo "kind $*" >> "${dir}/image-calls"
case "$1 $2" in
  "create cluster") cp "${fixture.kubeconfig}" "\${10}" ;;
esac
exit 0
`,
  );
  chmodSync(path.join(toolDir, 'kind'), 0o755);
  // docker: the runner has the job's own image (pr/redis:test) but not the manifests' (redis:7.2.5); pulls work.
  mkdirSync(path.join(dir, 'bin'));
  // It also stands in for the node containers in master-pause's freeze (there is no Docker on this machine):
  // `docker exec <node> crictl inspect …` prints the PID in $dir/pid, `cat /proc/<pid>/comm` the name in
  // $dir/comm; crictl is missing when $dir/no-crictl exists.
  writeFileSync(
    path.join(dir, 'bin', 'docker'),
    `#!/bin/sh
echo "docker $*" >> "${dir}/image-calls"
[ "$1 $2" = "image inspect" ] && { [ "$5" = pr/redis:test ] && exit 0; exit 1; }
[ "$1" = info ] && { echo 27.0.1; exit 0; }
if [ "$1" = exec ]; then
  case "$3 $4" in
    "crictl --version") [ -e "${dir}/no-crictl" ] && { echo 'OCI runtime exec failed: exec: "crictl": executable file not found in $PATH' >&2; exit 127; }; echo "crictl version v1.33.0" ;;
    "crictl inspect") cat "${dir}/pid" ;;
    "cat /proc/"*) cat "${dir}/comm" ;;
  esac
fi
exit 0
`,
  );
  chmodSync(path.join(dir, 'bin', 'docker'), 0o755);
  process.env.PATH = `${path.join(dir, 'bin')}:${process.env.PATH}`;
  process.env.RUNNER_TOOL_CACHE = path.join(dir, 'tools');
  process.env.RUNNER_TEMP = path.join(dir, 'temp');
  ip = installFakeIp();
  process.getuid = () => 0;
});
test.after(async () => {
  ip.restore();
  process.env.PATH = saved.path;
  process.getuid = saved.getuid;
  process.env.RUNNER_TOOL_CACHE = saved.cache;
  process.env.RUNNER_TEMP = saved.temp;
  await fixture.close();
  rmSync(dir, { recursive: true, force: true });
});
test.before.each(() => {
  fixture.requests.length = 0;
  fixture.server = new ApiServer({
    nodes: [
      { name: 'kind-control-plane', podCIDR: '127.231.0.0/24', internalIP: '172.18.0.2' },
      { name: 'kind-worker', podCIDR: '127.231.1.0/24', internalIP: '172.18.0.3' },
    ],
  });
  ip.clear();
  ip.setRoutes([]);
  writeFileSync(path.join(dir, 'image-calls'), '');
  writeFileSync(path.join(dir, 'pid'), '4242\n');
  writeFileSync(path.join(dir, 'comm'), 'redis-server\n');
  rmSync(path.join(dir, 'no-crictl'), { force: true });
});

const manifests = (replicas: number): ManifestSet => ({
  dir: '.',
  files: ['redis.yaml'],
  objects: parseManifestFile(
    'redis.yaml',
    `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: redis-app }
spec:
  replicas: ${replicas}
  serviceName: redis-service
  podManagementPolicy: Parallel
  selector: { matchLabels: { app: redis } }
  template:
    metadata: { labels: { app: redis } }
    spec:
      containers: [{ name: redis, image: "redis:7.2.5" }]
`,
  ),
});
const redis = (replicas: number, port: number) =>
  ({
    name: 'redis-app',
    namespace: 'default',
    replicas,
    port,
    podLabels: { app: 'redis' },
    claimTemplates: [],
    container: { name: 'redis' },
    mountFor: () => undefined,
  }) as unknown as RedisDeployment;
const config = (extra: Partial<Config> = {}): Config => ({
  ...DEFAULTS,
  command: 'check',
  manifests: '.',
  platform: 'kind',
  workers: 1,
  rolloutTimeoutMs: 5000,
  ...extra,
});

function recordingLog() {
  const lines: string[] = [];
  const log: Log = {
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    progress: () => {},
    secret: () => {},
  };
  return { log, lines };
}

async function run(replicas: number, port: number, extra: Partial<Config> = {}) {
  const { log, lines } = recordingLog();
  const workDir = mkdtempSync(path.join(dir, 'work-'));
  const platform = kube.createKindPlatform(config(extra), { log, workDir });
  await platform.provision();
  await platform.deploy(manifests(replicas), redis(replicas, port));
  const mode = platform.reachMode;
  await platform.teardown();
  return { mode, lines };
}

test('pod IPs unreachable through the routes: port-forward chosen, and the log says so and why', async () => {
  const { mode, lines } = await run(2, 6379);
  assert.is(mode, 'port-forward');
  const warning = lines.find((l) => l.startsWith('warn reach: port-forward'));
  assert.ok(warning, lines.join('\n'));
  assert.match(warning, '2 of 2 pods cannot be reached through the routes');
  assert.match(warning, /redis-app-0 127\.231\.\d\.\d+:6379: ECONNREFUSED/);
  assert.equal(
    ip.calls().filter((c) => c.includes(' add ') || c.includes(' del ')),
    [
      'ip route add 127.231.0.0/24 via 172.18.0.2',
      'ip route add 127.231.1.0/24 via 172.18.0.3',
      'ip route del 127.231.1.0/24 via 172.18.0.3',
      'ip route del 127.231.0.0/24 via 172.18.0.2',
    ],
    'routes added, and removed at teardown (newest first, as every undo)',
  );
});

test('every pod IP accepts a connection: routed, no fallback', async () => {
  // One pod, scheduled on the first node: its IP is the first of that node's CIDR the fixture's kubelet hands out.
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.231.0.2', resolve));
  try {
    const { port } = server.address() as net.AddressInfo;
    const { mode, lines } = await run(1, port);
    assert.is(mode, 'routed', lines.join('\n'));
    assert.ok(
      lines.includes(`info reach: routed (this process connects to all 1 pod IPs on port ${port})`),
      lines.join('\n'),
    );
  } finally {
    server.close();
  }
});

test('an existing route for a pod CIDR is neither replaced nor removed', async () => {
  ip.setRoutes(['127.231.1.0/24 via 10.9.9.9 dev wg0']);
  const { lines } = await run(1, 6379);
  const changes = ip.calls().filter((c) => c.includes(' add ') || c.includes(' del ') || c.includes(' replace '));
  assert.equal(changes, ['ip route add 127.231.0.0/24 via 172.18.0.2', 'ip route del 127.231.0.0/24 via 172.18.0.2']);
  assert.ok(lines.some((l) => l.includes('a route to pod CIDR 127.231.1.0/24 already exists')));
});

test('retain, decided by the caller: none deletes routes and cluster at teardown, keep leaves and settles them, defer leaves them to the post step', async () => {
  const outcome: Record<string, { left: string[]; removed: number }> = {};
  for (const retain of [undefined, 'keep', 'defer'] as const) {
    ip.clear();
    const workDir = mkdtempSync(path.join(dir, 'work-'));
    const journal = await RecordingJournal.open(fileStore(path.join(workDir, 'undo.json')));
    const platform = kube.createKindPlatform(config(), { log: silentLog, workDir, undo: journal, retain });
    await platform.provision();
    assert.equal(
      (await RecordingJournal.open(fileStore(path.join(workDir, 'undo.json')))).unsettled().map((e) => e.step.kind),
      ['kind-cluster', 'pod-route', 'pod-route'],
      'recorded on disk before teardown',
    );
    await platform.teardown();
    outcome[String(retain)] = {
      left: journal.unsettled().map((e) => e.step.kind),
      removed: ip.calls().filter((c) => c.includes(' del ')).length,
    };
  }
  assert.equal(outcome, {
    undefined: { left: [], removed: 2 },
    keep: { left: [], removed: 0 },
    defer: { left: ['kind-cluster', 'pod-route', 'pod-route'], removed: 0 },
  });
});

test("load-images and the manifests' images: pulled once on the runner, loaded into every node before apply", async () => {
  await run(1, 6379, { loadImages: 'pr/redis:test' });
  const calls = readFileSync(path.join(dir, 'image-calls'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('kind create') && !l.startsWith('kind get'));
  assert.equal(calls.slice(0, 3), [
    'docker image inspect --format {{.Id}} redis:7.2.5',
    'docker pull --quiet redis:7.2.5',
    'kind load docker-image pr/redis:test redis:7.2.5 --name redis-resilience',
  ]);
});

/** Deploys two pods, freezes redis-app-1 then resumes it; returns the docker calls and what freeze threw. */
async function freezeAndResume(): Promise<{ calls: string[]; error?: unknown; containerId: string; node: string }> {
  const platform = kube.createKindPlatform(config(), { log: silentLog, workDir: mkdtempSync(path.join(dir, 'work-')) });
  await platform.provision();
  await platform.deploy(manifests(2), redis(2, 6379));
  const pod = fixture.server.get('Pod', 'default', 'redis-app-1') as unknown as {
    spec: { nodeName: string };
    status: { containerStatuses: Array<{ containerID: string }> };
  };
  writeFileSync(path.join(dir, 'image-calls'), '');
  let error: unknown;
  try {
    await platform.freeze('redis-app-1');
    await platform.resume('redis-app-1');
    await platform.resume('redis-app-1'); // not frozen any more: nothing sent
  } catch (err) {
    error = err;
  }
  const calls = readFileSync(path.join(dir, 'image-calls'), 'utf8').split('\n').filter(Boolean);
  await platform.teardown();
  return { calls, error, containerId: pod.status.containerStatuses[0]?.containerID ?? '', node: pod.spec.nodeName };
}

test("master-pause on kind: the Redis container's host PID from crictl in its node container, SIGSTOP and SIGCONT from there", async () => {
  const { calls, error, containerId, node } = await freezeAndResume();
  assert.is(error, undefined, String(error));
  const id = containerId.replace('containerd://', '');
  assert.equal(calls, [
    'docker info --format {{.ServerVersion}}',
    `docker exec ${node} crictl --version`,
    `docker exec ${node} crictl inspect --output go-template --template {{.info.pid}} ${id}`,
    `docker exec ${node} cat /proc/4242/comm`,
    `docker exec ${node} kill -STOP 4242`,
    `docker exec ${node} kill -CONT 4242`,
  ]);
});

test('master-pause on kind: a main process that is not redis-server, or no crictl, skips the freeze with the reason and signals nothing', async () => {
  writeFileSync(path.join(dir, 'comm'), 'sh\n');
  let r = await freezeAndResume();
  assert.instance(r.error, UnsupportedError);
  assert.match(String(r.error), "the container's main process (host PID 4242 on");
  assert.match(String(r.error), 'is "sh", not redis-server');
  assert.not.ok(
    r.calls.some((c) => c.includes('kill')),
    r.calls.join('\n'),
  );

  writeFileSync(path.join(dir, 'comm'), 'redis-server\n');
  writeFileSync(path.join(dir, 'no-crictl'), '');
  r = await freezeAndResume();
  assert.instance(r.error, UnsupportedError);
  assert.match(String(r.error), `crictl does not run in the node container ${r.node}`);
  assert.not.ok(
    r.calls.some((c) => c.includes('kill')),
    r.calls.join('\n'),
  );
});

test.run();
