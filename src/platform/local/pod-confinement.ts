import { messageOf } from '../../errors.ts';
import type { Log } from '../../util/log.ts';
import { noUndoJournal, type UndoJournal } from '../undo.ts';
import {
  createLoopbackFirewall,
  firewallUnavailable,
  newFirewallId,
  removeLoopbackFirewall,
  sweepStaleFirewalls,
  type LoopbackFirewall,
} from './loopback-firewall.ts';

/**
 * The run's network confinement of its sandboxes (loopback-firewall.ts), journalled before it is made and
 * removed once the run's processes are gone. Where it cannot be made (not root, no iptables, no cgroup v2),
 * `skipped` says why: the run reports it, pods then reach the host's loopback services.
 */
export class PodConfinement {
  private constructor(
    private readonly undo: UndoJournal,
    private firewall: LoopbackFirewall | undefined,
    private readonly id: string | undefined,
    private undoId: string | undefined,
    readonly skipped: string | undefined,
  ) {}

  static async open(undo: UndoJournal = noUndoJournal, log?: Log): Promise<PodConfinement> {
    const unavailable = firewallUnavailable();
    if (unavailable) return new PodConfinement(undo, undefined, undefined, undefined, skippedNote(unavailable));
    const stale = await sweepStaleFirewalls().catch((err: unknown) => {
      log?.warn(`local platform: could not remove a dead run's loopback firewall: ${messageOf(err)}`);
      return [];
    });
    if (stale.length) log?.info(`local platform: removed the loopback firewall of dead runs (${stale.join(', ')})`);
    const id = newFirewallId();
    const undoId = await undo.record({ kind: 'local-firewall', id });
    try {
      return new PodConfinement(undo, await createLoopbackFirewall(id), id, undoId, undefined);
    } catch (err) {
      await undo.settle(undoId); // createLoopbackFirewall removed what it had made
      return new PodConfinement(undo, undefined, undefined, undefined, skippedNote(messageOf(err)));
    }
  }

  /** The cgroup.procs file every sandbox of the run joins (process.ts), when there is a firewall. */
  get procs(): string | undefined {
    return this.firewall?.procs;
  }

  /** Lets the run's pods reach a new pod address. */
  async allow(ip: string): Promise<void> {
    await this.firewall?.allow(ip);
  }

  /** Removes the firewall (after the run's processes are gone) and settles its journal entry. */
  async close(): Promise<void> {
    if (this.id === undefined || this.undoId === undefined) return;
    await removeLoopbackFirewall(this.id);
    await this.undo.settle(this.undoId);
    this.firewall = undefined;
    this.undoId = undefined;
  }
}

function skippedNote(why: string): string {
  return `pods can reach this machine's own loopback services (127.0.0.1, ::1): their loopback firewall was not set up (${why})`;
}
