import type { CoreV1Api } from '@kubernetes/client-node';
import type { HoldReport } from '../platform.ts';
import type { Log } from '../../util/log.ts';
import { messageOf } from '../../errors.ts';
import { noUndoJournal, type KubeTarget, type UndoJournal } from '../undo.ts';
import { kubeError, mergePatch } from './api.ts';
import type { RestartHold } from './quota-hold.ts';

/**
 * The opt-in restart hold (hold-mode cordon): cordons every schedulable node, so the StatefulSet recreates the
 * pod at once but it stays Pending until release(). It touches the whole cluster and needs node rights; the
 * default is the namespaced QuotaHold. Only nodes that were schedulable are cordoned and remembered, so
 * release() uncordons exactly those: a node someone else had cordoned stays cordoned. Each cordon is recorded
 * in the undo journal (a 'node-cordon' step) before it is made and settled once the node is uncordoned.
 */
export class CordonHold implements RestartHold {
  readonly mode = 'cordon' as const;
  report?: HoldReport;
  /** Nodes this hold cordoned (they were schedulable before), with their undo step ids. */
  private readonly cordoned = new Map<string, string>();
  private since?: number;

  constructor(
    private readonly core: CoreV1Api,
    private readonly log: Log,
    private readonly undo: UndoJournal = noUndoJournal,
    private readonly target: KubeTarget = { kubeconfig: '' },
  ) {}

  get held(): boolean {
    return this.cordoned.size > 0;
  }

  /** Cordons every schedulable node. Calling it again while held adds only new nodes. */
  async hold(): Promise<void> {
    const nodes = (
      await this.core.listNode().catch((err: unknown) => {
        throw kubeError('listing nodes to cordon them (hold-mode cordon)', err);
      })
    ).items;
    const schedulable = nodes.filter((n) => n.spec?.unschedulable !== true).map((n) => n.metadata?.name ?? '');
    this.since ??= Date.now();
    // All at once: the hold runs inside the timed window that starts at the delete request.
    const results = await Promise.allSettled(
      schedulable.map(async (name) => {
        const id = await this.undo.record({
          kind: 'node-cordon',
          target: this.target,
          node: name,
          wasUnschedulable: false,
        });
        this.cordoned.set(name, id); // before the patch, so release() also tries a cordon whose answer was lost
        await this.setUnschedulable(name, true);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const kept = nodes.length - schedulable.length;
    this.log.info(
      `hold: cordoned ${schedulable.join(', ') || 'no node'}${kept ? ` (${kept} already cordoned, left as they are)` : ''}`,
    );
  }

  /** Uncordons the nodes hold() cordoned. Tries every node; throws one error listing those that failed. */
  async release(): Promise<void> {
    const failed: unknown[] = [];
    const names = [...this.cordoned.keys()];
    for (const name of names) {
      try {
        await this.setUnschedulable(name, false);
        await this.undo.settle(this.cordoned.get(name)!);
        this.cordoned.delete(name);
      } catch (err) {
        failed.push(err);
      }
    }
    if (failed.length)
      throw new Error(
        `could not uncordon ${failed.length} node(s) after the hold: ${failed.map(messageOf).join('; ')}`,
        {
          cause: new AggregateError(failed),
        },
      );
    if (this.since !== undefined && names.length > 0) {
      const heldMs = Date.now() - this.since;
      this.report = {
        mode: 'cordon',
        heldMs,
        detail: `cordoned ${names.join(', ')} for ${(heldMs / 1000).toFixed(1)} s (hold-mode cordon)`,
      };
      this.since = undefined;
    }
  }

  private async setUnschedulable(name: string, value: boolean): Promise<void> {
    // null removes the field, which is how an uncordoned node looks (false is never stored).
    await this.core
      .patchNode({ name, body: { spec: { unschedulable: value ? true : null } } }, mergePatch())
      .catch((err: unknown) => {
        throw kubeError(`${value ? 'cordoning' : 'uncordoning'} node ${name}`, err);
      });
  }
}
