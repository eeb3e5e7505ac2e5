import { randomBytes } from 'node:crypto';
import type { Run } from './run-command.ts';
import type { UndoStep } from './undo.ts';

/**
 * The iptables side of a partition, shared by the platforms (src/platform/local/faults/partition.ts runs it on
 * the host, src/platform/kube/faults/partition.ts in a pod's network namespace). Every rule of a cut lives in a
 * chain of the run's own, entered by one jump per hook, so nothing else of the packet filter is touched and one
 * removal takes all of it away. The chain is filled before the jump goes in: a cut takes effect whole.
 */

/** Runs iptables with these arguments (on the host, or through docker exec + nsenter). */
export type Iptables = (args: string[]) => Promise<Run>;

/** Where a chain is entered from (the filter table). */
export type Hook = 'INPUT' | 'OUTPUT';

/** Chain names start with this, so a leftover is recognisable as ours. */
export const CHAIN_PREFIX = 'RCR-PART-';

/** Waits this long (s) for the xtables lock another run (or kube-proxy) may hold, instead of failing at once. */
const LOCK_WAIT = ['-w', '5'];

/** A chain name for one cut: unique per run and cut, within iptables' 28 characters. */
export function newChainName(): string {
  return `${CHAIN_PREFIX}${randomBytes(4).toString('hex')}`;
}

const said = (r: Run): string =>
  (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-2).join(' | ') || `exit code ${r.code}`;

/** Why iptables cannot be used here (not installed, no CAP_NET_ADMIN), or undefined when it can. */
export async function iptablesProblem(ipt: Iptables): Promise<string | undefined> {
  const r = await ipt([...LOCK_WAIT, '-S', 'OUTPUT']);
  if (r.code === 0) return undefined;
  if (r.code === 127) return `iptables is not installed (${said(r)})`;
  return /permission denied|must be root|not permitted/i.test(said(r))
    ? `iptables needs root or CAP_NET_ADMIN (${said(r)})`
    : `iptables cannot list the OUTPUT chain (${said(r)})`;
}

/** One DROP rule per direction between every address of `a` and every address of `b` (host-wide rules). */
export function dropBetween(a: string[], b: string[]): string[][] {
  return a.flatMap((x) =>
    b.flatMap((y) => [
      ['-s', x, '-d', y, '-j', 'DROP'],
      ['-s', y, '-d', x, '-j', 'DROP'],
    ]),
  );
}

/** One DROP rule per direction for each peer, inside one network namespace (entered from INPUT and OUTPUT). */
export function dropPeers(peers: string[]): string[][] {
  return peers.flatMap((p) => [
    ['-s', p, '-j', 'DROP'],
    ['-d', p, '-j', 'DROP'],
  ]);
}

async function must(ipt: Iptables, args: string[]): Promise<void> {
  const r = await ipt([...LOCK_WAIT, ...args]);
  if (r.code !== 0) throw new Error(`iptables ${args.join(' ')} failed: ${said(r)}`);
}

/** Creates `chain` with `rules`, then enters it first from each hook. */
export async function installCut(ipt: Iptables, chain: string, hooks: Hook[], rules: string[][]): Promise<void> {
  await must(ipt, ['-N', chain]);
  for (const rule of rules) await must(ipt, ['-A', chain, ...rule]);
  for (const hook of hooks) await must(ipt, ['-I', hook, '1', '-j', chain]);
}

/** iptables' answer when the chain (or the jump) is not there: already removed. */
const ABSENT = /No chain\/target\/match by that name|does not exist|Bad rule|doesn't exist/i;

/**
 * Removes the jumps to `chain` from every hook, then the chain. Idempotent: what is already gone is done; what
 * cannot be removed throws with iptables' words.
 */
export async function removeCut(ipt: Iptables, chain: string, hooks: Hook[]): Promise<void> {
  for (const hook of hooks) {
    // One jump per cut, but a retried install could have added two: remove until none is left (bounded).
    for (let i = 0; i < 8; i++) {
      const r = await ipt([...LOCK_WAIT, '-D', hook, '-j', chain]);
      if (r.code !== 0) {
        if (ABSENT.test(said(r))) break;
        throw new Error(`iptables -D ${hook} -j ${chain} failed: ${said(r)}`);
      }
    }
  }
  for (const args of [
    ['-F', chain],
    ['-X', chain],
  ]) {
    const r = await ipt([...LOCK_WAIT, ...args]);
    if (r.code !== 0 && !ABSENT.test(said(r))) throw new Error(`iptables ${args.join(' ')} failed: ${said(r)}`);
  }
}

/** One cut's chain over its life: recorded in the undo journal, installed, removed and settled. */
export interface ChainCut {
  /** The chain's name while a cut is in place. */
  chain(): string | undefined;
  /** Records the chain in `undo` (before it exists: a kill from then on leaves it for the post step or `cleanup`),
   * then installs `rules`. */
  cut(rules: string[][]): Promise<void>;
  /** Removes the chain and settles its journal entry; nothing when no cut is in place. */
  heal(): Promise<void>;
}

export function chainCut(
  ipt: Iptables,
  hooks: Hook[],
  undo: { record(step: UndoStep): Promise<string>; settle(id: string): Promise<void> },
  where: { node?: string; pid?: number } = {},
): ChainCut {
  let chain: string | undefined;
  let undoId: string | undefined;
  return {
    chain: () => chain,
    async cut(rules) {
      if (chain) throw new Error(`a cut is already in place (iptables chain ${chain})`);
      chain = newChainName();
      undoId = await undo.record({ kind: 'partition-rules', chain, hooks, ...where });
      await installCut(ipt, chain, hooks, rules);
    },
    async heal() {
      if (!chain) return;
      await removeCut(ipt, chain, hooks);
      if (undoId !== undefined) await undo.settle(undoId);
      chain = undefined;
      undoId = undefined;
    },
  };
}
