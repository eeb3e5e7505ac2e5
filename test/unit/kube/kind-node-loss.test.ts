import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUnsupported } from '../../../src/platform/faults.ts';
import type { PodInfo } from '../../../src/platform/platform.ts';
import * as kube from '../../../src/platform/kube.ts';
import { defaultExecutors, undoUnsettled } from '../../../src/undo/executors.ts';
import { fileStore, RecordingJournal } from '../../../src/undo/journal.ts';
import { silentLog } from '../../../src/util/log.ts';
import type { ApiFixture } from './api-fixture.ts';
import { ApiServer } from './api-server.ts';
import { kindConfig, kindHarness, kindManifests, kindRedis, type KindHarness } from './kind-harness.ts';
import type { KindStandIns } from './kind-standins.ts';

// node-loss on kind against the API fixture: a kind node is a Docker container (the stand-in docker here), and
// the fixture's node lifecycle controller follows it: a stopped node's kubelet posts nothing, so the Node turns
// Ready Unknown and its pods Ready False, not replaced (api-server.ts, nodeLifecycle).
const harness = kindHarness(test);
let fixture: ApiFixture;
let standIns: KindStandIns;
let ip: KindHarness['ip'];
const WORKER = 'redis-resilience-worker';
test.before(() => {
  ({ fixture, standIns, ip } = harness());
});
test.before.each(() => {
  fixture.server = new ApiServer({
    nodes: [
      { name: 'redis-resilience-control-plane', podCIDR: '127.232.0.0/24', internalIP: '172.18.0.2' },
      { name: WORKER, podCIDR: '127.232.1.0/24', internalIP: '172.18.0.3' },
    ],
  });
  fixture.server.nodeUp = (name) => !standIns.stoppedContainers().includes(name);
  ip.clear();
  ip.setRoutes([]);
  standIns.reset();
});

const manifests = kindManifests(2);
const redis = kindRedis(2, 6379);
const config = kindConfig();

async function deployed() {
  const workDir = mkdtempSync(path.join(standIns.dir, 'work-'));
  const journal = await RecordingJournal.open(fileStore(path.join(workDir, 'undo.json')));
  const platform = kube.createKindPlatform(config, { log: silentLog, workDir, undo: journal });
  await platform.provision();
  await platform.deploy(manifests, redis);
  const fault = platform.faults.nodeLoss;
  if (isUnsupported(fault)) throw new Error(fault.unsupported);
  standIns.clearCalls();
  return { platform, journal, fault, workDir };
}
const onWorker = (pods: PodInfo[]) => pods.filter((p) => p.node === WORKER);
function readyOf(name: string): string | undefined {
  const status = fixture.server.get('Node', undefined, name)?.status as
    { conditions?: Array<{ type: string; status: string }> } | undefined;
  return status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

test('node stop and start: the pods on it shown unreachable (same UIDs, not Ready), not replaced; back Ready after', async () => {
  const { platform, journal, fault } = await deployed();
  const before = onWorker(await platform.listPods());
  assert.is(before.length, 1, 'one pod on the worker');
  let lostAt = 0;
  await fault.lose(WORKER, (at) => (lostAt = at));
  assert.ok(lostAt > 0);
  assert.equal(standIns.calls(), [
    `docker inspect --format {{.State.Running}} ${WORKER}`,
    `docker stop -t 0 ${WORKER}`,
    `docker inspect --format {{.State.Running}} ${WORKER}`,
  ]);
  const stops = () => journal.unsettled().filter((e) => e.step.kind === 'node-container-stopped');
  assert.equal(
    stops().map((e) => e.step),
    [{ kind: 'node-container-stopped', container: WORKER }],
    'recorded before the stop',
  );
  const down = onWorker(await platform.listPods());
  assert.equal(
    down.map((p) => [p.name, p.uid, p.ready]),
    before.map((p) => [p.name, p.uid, false]),
  );
  assert.is(readyOf(WORKER), 'Unknown');
  await fault.restore(WORKER);
  assert.ok(standIns.calls().includes(`docker start ${WORKER}`));
  assert.equal(stops(), [], 'settled once the node is back');
  assert.is(readyOf(WORKER), 'True');
  const back = onWorker(await platform.listPods());
  assert.equal(
    back.map((p) => [p.name, p.uid, p.ready]),
    before.map((p) => [p.name, p.uid, true]),
  );
  await platform.teardown();
});

test('delete mode: the Node deleted, its pod recreated on another node; the node registers again when started', async () => {
  const { platform, fault } = await deployed();
  const [before] = onWorker(await platform.listPods());
  await fault.lose(WORKER);
  await fault.deleteNode(WORKER);
  const moved = (await platform.listPods()).find((p) => p.name === before!.name)!;
  assert.is.not(moved.uid, before!.uid, 'a new pod');
  assert.is.not(moved.node, WORKER);
  await fault.restore(WORKER);
  assert.is(readyOf(WORKER), 'True', 'registered again');
  await platform.teardown();
});

test('cancelled while the node is down: the undo journal starts the node container again', async () => {
  const { platform, fault, workDir } = await deployed();
  await fault.lose(WORKER);
  assert.equal(standIns.stoppedContainers(), [WORKER]);
  // What a cancelled run leaves, undone by the post step / the next run's cleanup.
  const left = await RecordingJournal.open(fileStore(path.join(workDir, 'undo.json')));
  const failed = await undoUnsettled(
    left,
    { ...defaultExecutors, 'kind-cluster': async () => {}, 'pod-route': async () => {} },
    silentLog,
  );
  assert.equal(failed, []);
  assert.equal(standIns.stoppedContainers(), []);
  assert.ok(standIns.calls().includes(`docker start ${WORKER}`));
  await platform.teardown();
});

test('an existing cluster: node loss is unsupported, with the reason', () => {
  const platform = kube.createExistingPlatform(
    { ...config, kubeconfig: fixture.kubeconfig },
    {
      log: silentLog,
      workDir: standIns.dir,
    },
  );
  const fault = platform.faults.nodeLoss;
  assert.ok(isUnsupported(fault));
  assert.match(fault.unsupported, "only kind's nodes are the run's own");
});

test.run();
