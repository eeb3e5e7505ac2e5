import type { PodInfo } from '../platform/platform.ts';
import type { Topology, ClusterNode } from '../redis/types.ts';
import { InputError } from '../errors.ts';
import { formatSlots, isMaster, mastersOf, myself, replicasOf } from '../redis/cluster-nodes.ts';
import { topologyOf, viewsOfEveryPod, type PodView } from './cluster-view.ts';
import type { ScenarioEnv } from './driver.ts';
import { runTag } from './workload.ts';
import type { Victim } from './failover-checks.ts';
import type { ScenarioResult } from './model.ts';

/**
 * The master a scenario acts on: `wanted` (a pod name; an InputError when it is no master owning slots, before
 * anything is touched) or the master holding slot 0.
 */
export function pickMaster(
  views: PodView[],
  wanted: string | undefined,
): { victimPod: PodInfo; victimNode: ClusterNode; view: ClusterNode[] } {
  const selfOfPod = views.map((v) => ({ pod: v.pod, self: myself(v.nodes) }));
  const masters = selfOfPod.filter((s) => isMaster(s.self) && s.self.slots.length > 0);
  const describe = masters.map((m) => `${m.pod.name} (${formatSlots(m.self.slots).join(',')})`).join(', ');
  let chosen: (typeof selfOfPod)[number] | undefined;
  if (wanted !== undefined) {
    chosen = selfOfPod.find((s) => s.pod.name === wanted);
    if (!chosen) throw new InputError(`victim ${wanted}: no such pod; masters owning slots: ${describe || 'none'}`);
    if (!masters.includes(chosen))
      throw new InputError(
        `victim ${wanted} is not a master owning slots; masters owning slots: ${describe || 'none'}`,
      );
  } else {
    chosen = masters.find((m) => m.self.slots.some(([a]) => a === 0));
    if (!chosen)
      throw new Error(
        `no master owns slot 0 (masters owning slots: ${describe || 'none'}); is the cluster bootstrapped?`,
      );
  }
  const view = views.find((v) => v.pod === chosen.pod)!.nodes;
  return { victimPod: chosen.pod, victimNode: chosen.self, view };
}

/** The Victim record of a node as one pod saw the cluster. */
export function victimOf(pod: PodInfo, node: ClusterNode, view: ClusterNode[]): Victim {
  return {
    pod: pod.name,
    nodeId: node.id,
    uid: pod.uid,
    ip: pod.ip,
    slots: node.slots,
    line: node.raw,
    replicaIds: replicasOf(view, node.id).map((r) => r.id),
  };
}

/** The report's record of the pod a scenario hit. */
export function victimRecord(v: Victim, replicas: string[]): NonNullable<ScenarioResult['victim']> {
  return { pod: v.pod, nodeId: v.nodeId, uid: v.uid, ip: v.ip, slots: formatSlots(v.slots), replicas };
}

/** A master picked for a scenario, with what was seen before anything was touched. */
export interface MasterTarget {
  run: string;
  podsBefore: PodInfo[];
  victimPod: PodInfo;
  victim: Victim;
  replicaPods: PodInfo[];
  mastersWithSlots: number;
  topologyBefore: Topology;
}

/** Every pod's view and the master to act on (pickMaster: a bad `wanted` throws InputError before anything). */
export async function snapshotMaster(env: ScenarioEnv, wanted: string | undefined): Promise<MasterTarget> {
  const views = await viewsOfEveryPod(env);
  const podsBefore = views.map((v) => v.pod);
  const { victimPod, victimNode, view } = pickMaster(views, wanted);
  const victim = victimOf(victimPod, victimNode, view);
  return {
    run: runTag(),
    podsBefore,
    victimPod,
    victim,
    replicaPods: podsBefore.filter((p) => view.some((n) => victim.replicaIds.includes(n.id) && n.ip === p.ip)),
    mastersWithSlots: mastersOf(view).filter((m) => m.slots.length > 0).length,
    topologyBefore: topologyOf(views),
  };
}
