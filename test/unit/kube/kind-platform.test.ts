import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../../src/config.ts';
import * as kube from '../../../src/platform/kube.ts';
import { fileStore, RecordingJournal } from '../../../src/undo/journal.ts';
import { silentLog, type Log } from '../../../src/util/log.ts';
import { UnsupportedError } from '../../../src/errors.ts';
import { isUnsupported, required } from '../../../src/platform/faults.ts';
import { defaultExecutors } from '../../../src/undo/executors.ts';
import type { ApiFixture } from './api-fixture.ts';
import { ApiServer } from './api-server.ts';
import { kindConfig, kindHarness, kindManifests, kindRedis, type KindHarness } from './kind-harness.ts';
import type { KindStandIns } from './kind-standins.ts';

// The kind platform end to end against the API fixture: the stand-in kind (kind-standins.ts) "creates" a cluster
// by writing the fixture's kubeconfig, `ip` is a recording stand-in, and the pods' IPs come from node pod CIDRs
// on loopback (127.231.x.0/24), so the reach preflight really connects to them: refused (nothing listens) or
// accepted (a test listener). The runner's Docker has the job's own image (pr/redis:test) but not the manifests'
// (redis:7.2.5); pulls work. The stand-in docker also stands in for the node containers in master-pause's freeze.
const harness = kindHarness(test, { images: ['pr/redis:test'] });
let fixture: ApiFixture;
let standIns: KindStandIns;
let ip: KindHarness['ip'];
test.before(() => {
  ({ fixture, standIns, ip } = harness());
});
test.before.each(() => {
  fixture.requests.length = 0;
  // Named as kind names the node containers of cluster-name redis-resilience with one worker.
  fixture.server = new ApiServer({
    nodes: [
      { name: 'redis-resilience-control-plane', podCIDR: '127.231.0.0/24', internalIP: '172.18.0.2' },
      { name: 'redis-resilience-worker', podCIDR: '127.231.1.0/24', internalIP: '172.18.0.3' },
    ],
  });
  ip.clear();
  ip.setRoutes([]);
  standIns.reset();
});

const manifests = kindManifests;
const redis = kindRedis;
const config = kindConfig;

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
  const workDir = mkdtempSync(path.join(standIns.dir, 'work-'));
  const platform = kube.createKindPlatform(config(extra), { log, workDir });
  await platform.provision();
  await platform.deploy(manifests(replicas), redis(replicas, port));
  const mode = platform.reachMode;
  await platform.teardown();
  return { mode, lines, notes: platform.notes };
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
  const outcome: Record<string, { left: string[]; removed: number; clusters: string[] }> = {};
  for (const retain of [undefined, 'keep', 'defer'] as const) {
    ip.clear();
    standIns.reset(); // a kept cluster would refuse the next create (its name is taken)
    const workDir = mkdtempSync(path.join(standIns.dir, 'work-'));
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
      clusters: standIns.clusters(),
    };
  }
  assert.equal(outcome, {
    undefined: { left: [], removed: 2, clusters: [] },
    keep: { left: [], removed: 0, clusters: ['redis-resilience'] },
    defer: { left: ['kind-cluster', 'pod-route', 'pod-route'], removed: 0, clusters: ['redis-resilience'] },
  });
});

test("load-images and the manifests' images: pulled once on the runner, loaded into every node before apply", async () => {
  await run(1, 6379, { loadImages: 'pr/redis:test' });
  const calls = standIns.calls().filter((l) => !l.startsWith('kind create') && !l.startsWith('kind get'));
  assert.equal(calls.slice(0, 4), [
    'docker image inspect --format {{.Id}} redis:7.2.5',
    'docker pull --quiet redis:7.2.5',
    'kind load docker-image pr/redis:test --name redis-resilience',
    'kind load docker-image redis:7.2.5 --name redis-resilience',
  ]);
});

test("a manifest image kind cannot load (containerd image store): the run goes on, the nodes pull it, the report's notes say so", async () => {
  standIns.setImageStore('containerd');
  standIns.setLoadFails(['redis:7.2.5']);
  const { notes, lines } = await run(1, 6379, { loadImages: 'pr/redis:test' });
  assert.ok(
    lines.some((l) => l.startsWith('info applied')),
    'applied and rolled out',
  );
  assert.is(notes.length, 1);
  assert.match(
    notes[0]!,
    'each kind node pulls them itself, with the imagePullPolicy as written (redis:7.2.5: IfNotPresent)',
  );
  assert.match(notes[0]!, 'kubernetes-sigs/kind#3795');
});

test('a load-images image kind cannot load: the run stops before apply, naming the image store and the workaround', async () => {
  standIns.setImageStore('containerd');
  standIns.setLoadFails(['pr/redis:test']);
  const error = await run(1, 6379, { loadImages: 'pr/redis:test' }).then(
    () => undefined,
    (e: unknown) => (e as Error).message,
  );
  assert.match(error ?? '', "load-images are the job's own images, which no node can pull");
  assert.match(error ?? '', 'containerd image store');
  assert.not.ok(
    fixture.requests.some((r) => r.method === 'PATCH'),
    'nothing applied',
  );
});

/** Deploys two pods, freezes redis-app-1 then resumes it; returns the docker calls and what freeze threw. */
async function freezeAndResume(): Promise<{ calls: string[]; error?: unknown; containerId: string; node: string }> {
  const platform = kube.createKindPlatform(config(), {
    log: silentLog,
    workDir: mkdtempSync(path.join(standIns.dir, 'work-')),
  });
  await platform.provision();
  await platform.deploy(manifests(2), redis(2, 6379));
  const pod = fixture.server.get('Pod', 'default', 'redis-app-1') as unknown as {
    spec: { nodeName: string };
    status: { containerStatuses: Array<{ containerID: string }> };
  };
  standIns.clearCalls();
  let error: unknown;
  try {
    const freeze = required(platform.faults.freeze);
    await freeze.freeze('redis-app-1');
    await freeze.resume('redis-app-1');
    await freeze.resume('redis-app-1'); // not frozen any more: nothing sent
  } catch (err) {
    error = err;
  }
  const calls = standIns.calls();
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
  standIns.setComm('sh');
  let r = await freezeAndResume();
  assert.instance(r.error, UnsupportedError);
  assert.match(String(r.error), "the container's main process (host PID 4242 on");
  assert.match(String(r.error), 'is "sh", not redis-server');
  assert.not.ok(
    r.calls.some((c) => c.includes('kill')),
    r.calls.join('\n'),
  );

  standIns.setComm('redis-server');
  standIns.setCrictl(false);
  r = await freezeAndResume();
  assert.instance(r.error, UnsupportedError);
  assert.match(String(r.error), `crictl does not run in the node container ${r.node}`);
  assert.not.ok(
    r.calls.some((c) => c.includes('kill')),
    r.calls.join('\n'),
  );
});

/** A kind platform with two pods deployed, its journal in a file of its work dir. */
async function deployedForPartition() {
  const workDir = mkdtempSync(path.join(standIns.dir, 'work-'));
  const journal = await RecordingJournal.open(fileStore(path.join(workDir, 'undo.json')));
  const platform = kube.createKindPlatform(config(), { log: silentLog, workDir, undo: journal });
  await platform.provision();
  await platform.deploy(manifests(2), redis(2, 6379));
  const pod = fixture.server.get('Pod', 'default', 'redis-app-1') as unknown as { spec: { nodeName: string } };
  standIns.clearCalls();
  return { platform, journal, node: pod.spec.nodeName };
}

/** The journal's unsettled partition steps (the cluster's own steps are there too). */
const cuts = (journal: RecordingJournal) => journal.unsettled().filter((e) => e.step.kind === 'partition-rules');

const partitionOf = (platform: kube.KubePlatform) => {
  const fault = platform.faults.partition;
  if (isUnsupported(fault)) throw new Error(`kind: partition unsupported: ${fault.unsupported}`);
  return fault;
};

test("master-partition on kind: rules in the pod's own network namespace (nsenter from its node to crictl's host PID), journalled before they exist, lifted by heal", async () => {
  const { platform, journal, node } = await deployedForPartition();
  const plan = await partitionOf(platform).prepare('redis-app-1');
  assert.is(plan.minorityClient, undefined, "both clients are the runner's: it reaches both sides");
  // The journal names the chain before the chain exists: what record() saw is kept here.
  const seenAtRecord: string[][] = [];
  const record = journal.record.bind(journal);
  journal.record = async (step) => {
    seenAtRecord.push(standIns.iptables());
    return record(step);
  };
  await plan.cut(['10.244.1.7', '10.244.2.9']);
  const [entry] = cuts(journal);
  assert.equal(seenAtRecord, [[]], 'recorded before any chain or rule');
  const step = entry!.step as { kind: string; chain: string; node: string; pid: number; hooks: string[] };
  assert.equal(
    { ...step, chain: '' },
    { kind: 'partition-rules', chain: '', hooks: ['INPUT', 'OUTPUT'], node, pid: 4242 },
  );
  const c = step.chain;
  assert.match(c, /^RCR-PART-[0-9a-f]{8}$/);
  const ns = `${node} 4242`;
  // Peers only: the runner's connections (through the node, from the runner's address) are not named.
  assert.equal(standIns.iptables(), [
    `${ns} chain ${c}`,
    `${ns} rule ${c} -s 10.244.1.7 -j DROP`,
    `${ns} rule ${c} -d 10.244.1.7 -j DROP`,
    `${ns} rule ${c} -s 10.244.2.9 -j DROP`,
    `${ns} rule ${c} -d 10.244.2.9 -j DROP`,
    `${ns} jump INPUT ${c}`,
    `${ns} jump OUTPUT ${c}`,
  ]);
  assert.ok(
    standIns.calls().includes(`docker exec ${node} nsenter -t 4242 -n iptables -w 5 -S OUTPUT`),
    standIns.calls().join('\n'),
  );
  await plan.heal();
  assert.equal(standIns.iptables(), []);
  assert.equal(cuts(journal), [], 'settled once lifted');
  await plan.heal(); // idempotent
  await platform.teardown();
});

test('master-partition on kind: teardown lifts a cut still in place; the undo step of a killed run lifts it from its journal alone', async () => {
  let { platform, journal } = await deployedForPartition();
  await (await partitionOf(platform).prepare('redis-app-1')).cut(['10.244.1.7']);
  await platform.teardown();
  assert.equal(standIns.iptables(), [], 'teardown lifted the cut');
  assert.equal(cuts(journal), []);

  ({ platform, journal } = await deployedForPartition());
  await (await partitionOf(platform).prepare('redis-app-1')).cut(['10.244.1.7']);
  const [entry] = cuts(journal);
  // As `cleanup` does after a SIGKILL: only the journal's step, no platform.
  await defaultExecutors['partition-rules'](
    entry!.step as Parameters<(typeof defaultExecutors)['partition-rules']>[0],
    silentLog,
  );
  assert.equal(standIns.iptables(), []);
  await defaultExecutors['partition-rules'](
    entry!.step as Parameters<(typeof defaultExecutors)['partition-rules']>[0],
    silentLog,
  );
  await platform.teardown();
});

test('master-partition on kind: no iptables in the pod network namespace, or no crictl: unsupported with the reason, nothing cut; existing: unsupported', async () => {
  standIns.setIptables(false);
  let { platform } = await deployedForPartition();
  let error: unknown = await partitionOf(platform)
    .prepare('redis-app-1')
    .catch((err: unknown) => err);
  assert.instance(error, UnsupportedError);
  assert.match(
    String(error),
    /cutting off pod redis-app-1: in its network namespace \(host PID 4242 on \S+\): iptables is not installed/,
  );
  await platform.teardown();

  standIns.setIptables(true);
  standIns.setCrictl(false);
  ({ platform } = await deployedForPartition());
  error = await partitionOf(platform)
    .prepare('redis-app-1')
    .catch((err: unknown) => err);
  assert.instance(error, UnsupportedError);
  assert.match(String(error), /cutting off pod redis-app-1: crictl does not run in the node container/);
  assert.equal(standIns.iptables(), []);
  await platform.teardown();

  const existing = kube.createExistingPlatform(config({ platform: 'existing' }), {
    log: silentLog,
    workDir: standIns.dir,
  });
  const fault = existing.faults.partition;
  assert.ok(isUnsupported(fault));
  assert.match(fault.unsupported, /existing platform does not drive \(no node access\)/);
});

test.run();
