import { UnsupportedError } from '../../../errors.ts';
import type { PartitionFault, PartitionPlan } from '../../partition-fault.ts';
import { commandRunner } from '../../run-command.ts';
import { chainCut, dropBetween, iptablesProblem, type Iptables } from '../../packet-filter.ts';
import type { UndoJournal } from '../../undo.ts';

/**
 * The partition on the local platform: every pod's traffic leaves from its own loopback address (bind-source-addr),
 * so DROP rules between addresses in the host's OUTPUT chain cut pods apart while every other address still
 * reaches them (docs/design.md, "Partition"). The clients get addresses claimed like pods' (local/addresses.ts),
 * one on each side; the runner's own connections come from 127.0.0.1, which no rule names.
 */

/** iptables on the host, each call bounded. */
const run = commandRunner(15_000);
export const hostIptables: Iptables = (args) => run('iptables', args);

export interface LocalPartitionDeps {
  /** The pod's current address ('' while it has none). */
  podIp(name: string): string;
  /** A loopback address claimed for this run (released with the pods' at teardown). */
  claimAddress(): Promise<string>;
  undo: UndoJournal;
  iptables?: Iptables;
}

/** The local partition fault, and healAll() for the platform's teardown. */
export function localPartition(deps: LocalPartitionDeps): PartitionFault & { healAll(): Promise<void> } {
  const ipt = deps.iptables ?? hostIptables;
  const active = new Set<PartitionPlan>();
  return {
    async prepare(pod) {
      const problem = await iptablesProblem(ipt);
      if (problem) throw new UnsupportedError(`cutting pod ${pod} off the network: ${problem}`);
      const minorityClient = await deps.claimAddress();
      const majorityClient = await deps.claimAddress();
      const cut = chainCut(ipt, ['OUTPUT'], deps.undo);
      const plan: PartitionPlan = {
        minorityClient,
        majorityClient,
        get describe() {
          return `iptables chain ${cut.chain() ?? '(none)'} in the host's OUTPUT: DROP between pod ${pod} with the client at ${minorityClient} and every other pod with the client at ${majorityClient}`;
        },
        async cut(others) {
          const ip = deps.podIp(pod);
          if (!ip) throw new Error(`pod ${pod} has no address to cut off`);
          active.add(plan);
          await cut.cut(dropBetween([ip, minorityClient], [...others, majorityClient]));
        },
        async heal() {
          await cut.heal();
          active.delete(plan);
        },
      };
      return plan;
    },
    async healAll() {
      for (const plan of [...active]) await plan.heal();
    },
  };
}
