import type { PodInfo } from '../platform.ts';
import type { PodLayout } from './pod-fs.ts';
import { describeState, type PodLifecycle } from './pod-lifecycle.ts';
import type { Supervised } from './process.ts';

/** One pod of the StatefulSet on the local platform: what it owns across its incarnations. */
export interface Pod {
  name: string;
  ordinal: number;
  layout: PodLayout;
  uid: string;
  ip: string;
  /** The emulated node it is bound to (local/nodes.ts); empty while it has none (Pending, or deleted). */
  node: string;
  incarnation: number;
  proc?: Supervised;
  logFile?: string;
  /** What happens to the pod next (local/pod-lifecycle.ts): every change of state goes through it. */
  lifecycle: PodLifecycle;
  /** The start under way (or the last one), awaited before a deletion and by teardown. */
  starting?: Promise<void>;
  startedAt?: number;
  /** The StatefulSet revision (pod template) this incarnation of the pod was created from. */
  revision?: string;
}

/** The pods of the deployment, by name. */
export class PodTable {
  private readonly pods = new Map<string, Pod>();

  add(pod: Pod): void {
    this.pods.set(pod.name, pod);
  }

  named(name: string): Pod {
    const pod = this.pods.get(name);
    if (!pod) throw new Error(`local platform: no pod '${name}' (pods: ${[...this.pods.keys()].join(', ') || 'none'})`);
    return pod;
  }

  /** In the order they were declared (by ordinal). */
  all(): Pod[] {
    return [...this.pods.values()];
  }

  clear(): void {
    this.pods.clear();
  }
}

export function podInfo(pod: Pod): PodInfo {
  return {
    name: pod.name,
    uid: pod.uid,
    ip: pod.ip,
    node: pod.node,
    ready: pod.lifecycle.state.phase === 'ready' && !!pod.proc && !pod.proc.exit,
    ordinal: pod.ordinal,
  };
}

/** Whether teardown has ended the pod's life (a start under way then stops where it is). */
export function tornDown(pod: Pod): boolean {
  return pod.lifecycle.state.phase === 'exited';
}

export function describePod(pod: Pod): string {
  return `uid ${pod.uid || 'none'}, ip ${pod.ip || 'none'}, node ${pod.node || 'none'}, ${describeState(pod.lifecycle.state)}`;
}

/** Waits for the start under way, its readiness probe included (a deletion or a node's loss comes after it). */
export async function startSettled(pod: Pod): Promise<void> {
  do await pod.starting;
  while (pod.lifecycle.state.phase === 'starting');
}
