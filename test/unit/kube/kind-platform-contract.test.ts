/**
 * The Platform contract (test/support/platform-contract.ts) on the kind platform, with the stand-in kind and docker
 * of kind-standins.ts and `ip` of fake-ip.ts: the cluster kind "creates" is the loopback API fixture, whose nodes
 * are named as kind names its node containers and hand out pod IPs on loopback (nothing listens there, so the reach
 * preflight falls back to port-forwards, as on a runner whose Docker network is not routable). No Redis runs behind
 * the pods; a freeze is seen in the stand-in docker's record of the signals sent in the node containers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULTS } from '../../../src/config.ts';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { loadManifests } from '../../../src/manifests/load.ts';
import type { RedisDeployment } from '../../../src/manifests/model.ts';
import { createKindPlatform, type KindSettings } from '../../../src/platform/kube.ts';
import type { PodInfo } from '../../../src/platform/platform.ts';
import { silentLog } from '../../../src/util/log.ts';
import { waitFor } from '../../../src/util/wait.ts';
import { platformContract } from '../../support/platform-contract.ts';
import { startApiFixture } from './api-fixture.ts';
import { ApiServer } from './api-server.ts';
import { installFakeIp } from './fake-ip.ts';
import { installKindStandIns, type KindStandIns } from './kind-standins.ts';

const fixture = await startApiFixture();
const settings: KindSettings = {
  holdMode: 'quota',
  rolloutTimeoutMs: 5000,
  kindVersion: DEFAULTS.kindVersion,
  clusterName: DEFAULTS.clusterName,
  workers: 1,
  nfsStandIn: true,
};
let standIns: KindStandIns | undefined;
let ip: ReturnType<typeof installFakeIp> | undefined;
let redis: RedisDeployment | undefined;
const workDir = mkdtempSync(path.join(os.tmpdir(), 'kind-contract-'));

/** The host PID the stand-in crictl gave for the pod's Redis container on its node, if freeze() asked for it. */
function nodeProcess(pod: PodInfo): string | undefined {
  const stored = fixture.server.get('Pod', redis!.namespace, pod.name) as
    | {
        metadata: { uid: string };
        spec: { nodeName: string };
        status: { containerStatuses: Array<{ name: string; containerID: string }> };
      }
    | undefined;
  if (stored?.metadata.uid !== pod.uid)
    throw new Error(`pod ${pod.name} (uid ${pod.uid}) is gone from the API fixture`);
  const status = stored.status.containerStatuses.find((c) => c.name === redis!.container.name);
  const pid = standIns!.pidOf(stored.spec.nodeName, status?.containerID.replace(/^[a-z0-9-]+:\/\//, '') ?? '');
  return pid === undefined ? undefined : `${pid} on ${stored.spec.nodeName}`;
}

platformContract({
  name: 'kind (stand-in kind and docker, the API fixture as its cluster)',
  create: async ({ undo, signal }) => {
    // Node names as kind gives them for one control plane and one worker (kind-standins.ts).
    fixture.server = new ApiServer({
      nodes: [
        { name: `${settings.clusterName}-control-plane`, podCIDR: '127.231.0.0/24', internalIP: '172.18.0.2' },
        { name: `${settings.clusterName}-worker`, podCIDR: '127.231.1.0/24', internalIP: '172.18.0.3' },
      ],
    });
    standIns = installKindStandIns({ kubeconfig: fixture.kubeconfig });
    ip = installFakeIp();
    const manifests = await loadManifests('manifests');
    redis = redisDeployment(manifests);
    return {
      platform: createKindPlatform(settings, { log: silentLog, workDir, undo, signal }),
      manifests,
      redis,
    };
  },
  redis: { cannot: 'the API fixture runs no Redis behind its pods' },
  leftovers: async () => {
    const s = fixture.server;
    // A watch ends when the fixture sees its connection close, a moment after the client aborts it.
    const watches = await waitFor(
      "the API fixture's watches to close",
      async () => (s.watches === 0 ? { done: true, value: 0 } : { done: false, seen: `${s.watches} open` }),
      { timeoutMs: 2000, intervalMs: 10 },
    ).catch(() => s.watches);
    return [
      ...standIns!.clusters().map((c) => `kind cluster ${c}`),
      ...standIns!.containers().map((c) => `node container ${c} running`),
      ...standIns!.stopped().map((p) => `process ${p} left stopped (SIGSTOP, no SIGCONT)`),
      ...ip!.added().map((r) => `route ${r}`),
      // The objects the run applied went with the deleted cluster (kind's teardown deletes the cluster, not them);
      // what teardown undoes itself before that, as a kept cluster (keep-cluster) would still have it: the hold,
      // and the watches the pod cache opened.
      ...s.list('ResourceQuota').map((q) => `ResourceQuota ${q.metadata.name}`),
      ...s
        .list('Node')
        .filter((n) => (n.spec as { unschedulable?: boolean } | undefined)?.unschedulable)
        .map((n) => `Node ${n.metadata.name} cordoned`),
      ...(watches > 0 ? [`${watches} watch(es) open on the API server`] : []),
    ];
  },
  freezes: {
    seenBy: "the stand-in docker's record of kill -STOP/-CONT to the host PID crictl gave for the pod's container",
    stopped: async (pod) => {
      const p = nodeProcess(pod);
      return p !== undefined && standIns!.stopped().includes(p);
    },
  },
  timeoutMs: 5000,
  close: async () => {
    ip?.restore();
    standIns?.restore();
    await fixture.close();
    rmSync(workDir, { recursive: true, force: true });
  },
});
