import type { CoreV1Api } from '@kubernetes/client-node';
import type { Log } from '../../util/log.ts';
import { messageOf } from '../../errors.ts';
import { kubeError, mergePatch } from './api.ts';

/**
 * Holds a deleted pod's restart by cordoning the nodes: the StatefulSet recreates the pod at once, but it
 * stays Pending until release(). Only nodes that were schedulable are cordoned and remembered, so release()
 * uncordons exactly those: a node someone else had cordoned stays cordoned.
 */
export class CordonHold {
  /** Nodes this hold cordoned (they were schedulable before). */
  private readonly cordoned = new Set<string>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly log: Log,
  ) {}

  get held(): boolean {
    return this.cordoned.size > 0;
  }

  /** Cordons every schedulable node; returns their names. Calling it again while held adds only new nodes. */
  async hold(): Promise<string[]> {
    const nodes = (await this.core.listNode().catch((err: unknown) => {
      throw kubeError('listing nodes to cordon them (hold-restart)', err);
    })).items;
    const schedulable = nodes.filter((n) => n.spec?.unschedulable !== true).map((n) => n.metadata?.name ?? '');
    // All at once: the hold runs inside the timed window that starts at the delete request.
    const results = await Promise.allSettled(schedulable.map(async (name) => {
      await this.setUnschedulable(name, true);
      this.cordoned.add(name); // recorded as each succeeds, so release() undoes a partial hold
    }));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const kept = nodes.length - schedulable.length;
    this.log.info(`hold: cordoned ${schedulable.join(', ') || 'no node'}${kept ? ` (${kept} already cordoned, left as they are)` : ''}`);
    return schedulable;
  }

  /** Uncordons the nodes hold() cordoned. Tries every node; throws one error listing those that failed. */
  async release(): Promise<void> {
    const failed: string[] = [];
    for (const name of [...this.cordoned]) {
      try {
        await this.setUnschedulable(name, false);
        this.cordoned.delete(name);
      } catch (err) {
        failed.push(messageOf(err));
      }
    }
    if (failed.length) throw new Error(`could not uncordon ${failed.length} node(s) after the hold: ${failed.join('; ')}`);
  }

  private async setUnschedulable(name: string, value: boolean): Promise<void> {
    // null removes the field, which is how an uncordoned node looks (false is never stored).
    await this.core.patchNode({ name, body: { spec: { unschedulable: value ? true : null } } }, mergePatch()).catch((err: unknown) => {
      throw kubeError(`${value ? 'cordoning' : 'uncordoning'} node ${name}`, err);
    });
  }
}
