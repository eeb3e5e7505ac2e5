import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { commandRunner } from '../run-command.ts';
import { findExecutable } from './redis-binary.ts';

/**
 * Keeps a run's pods off the host's own loopback services (a Kubernetes pod has its own network namespace: its
 * 127.0.0.1 is its own). Local pods share the host's network namespace, and a connection to 127.0.0.1 leaves from
 * 127.0.0.1 whoever makes it, so addresses cannot tell a pod from the host. What can is the cgroup: every sandbox
 * of the run starts inside the run's own cgroup v2 (process.ts, `cgroupProcs`), and a socket belongs to the cgroup
 * of the process that made it. One jump in OUTPUT sends loopback packets from sockets of that cgroup (iptables
 * `-m cgroup --path`) to the run's own chain, which returns for the run's pod addresses and for replies
 * (conntrack ESTABLISHED: the host connecting to a pod must get its answers) and rejects the rest, IPv4 and IPv6.
 *
 * Everything is named by one id (the run's PID and a random part): chain RCR-LO-<id> in both tables' filter
 * table, cgroup redis-cluster-resilience-<id> at the cgroup v2 root. The undo journal holds only that id
 * (recorded before anything is made), and the undo derives the names from it, so a journal cannot name anything
 * else. A run without a journal (the library used directly) that dies leaves its firewall to the next run, which
 * removes those whose run's process is gone (sweepStaleFirewalls); only root can make either name.
 */

export interface LoopbackFirewall {
  /** The cgroup.procs file each sandbox joins before it runs. */
  procs: string;
  /** Lets the run's pods reach `ip` (a pod address of this run). */
  allow(ip: string): Promise<void>;
}

/** `<pid of the run's process, hex>-<random>`: unique, and tells a dead run's firewall from a live one's. */
const ID = /^([0-9a-f]{1,8})-[0-9a-f]{8}$/;
const TABLES = ['iptables', 'ip6tables'] as const;
const run = commandRunner(20_000);

export const newFirewallId = (): string => `${process.pid.toString(16)}-${randomBytes(4).toString('hex')}`;
const chainOf = (id: string): string => `RCR-LO-${id}`;
const cgroupOf = (id: string): string => `redis-cluster-resilience-${id}`;

/** The cgroup v2 hierarchy's mount point (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid system). */
function cgroup2Root(): string | undefined {
  try {
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [mount, fsPart] = line.split(' - ');
      if (fsPart?.startsWith('cgroup2 ')) return mount!.split(' ')[4];
    }
  } catch {
    // no /proc: not Linux
  }
  return undefined;
}

/** Why the firewall cannot be made here (not root, no iptables, no cgroup v2), or undefined when it can. */
export function firewallUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  for (const t of TABLES) if (!findExecutable(t)) return `${t} is not installed (apt-get install -y iptables)`;
  if (!cgroup2Root()) return 'no cgroup v2 hierarchy is mounted';
  return undefined;
}

/** Runs one iptables/ip6tables command (`-w`: waits for another run's change instead of failing); its output. */
async function table(t: (typeof TABLES)[number], args: string[]): Promise<string> {
  const program = findExecutable(t);
  if (!program) throw new Error(`${t} is not installed`);
  const r = await run(program, ['-w', '5', ...args]);
  if (r.code !== 0) throw new Error(`${t} ${args.join(' ')}: ${r.stderr.trim() || `exit code ${r.code}`}`);
  return r.stdout;
}

/** Rule numbers (1-based) of OUTPUT's jumps to `chain`. */
async function jumpPositions(t: (typeof TABLES)[number], chain: string): Promise<number[]> {
  const rules = (await table(t, ['-S', 'OUTPUT'])).split('\n').filter((l) => l.startsWith('-A OUTPUT '));
  return rules.flatMap((l, i) => (l.split(' ').slice(-2).join(' ') === `-j ${chain}` ? [i + 1] : []));
}

/**
 * Makes the run's cgroup and chains (the caller has recorded `id` in the undo journal first). On failure, what
 * was made is removed again and the error thrown.
 */
export async function createLoopbackFirewall(id: string): Promise<LoopbackFirewall> {
  if (!ID.test(id)) throw new Error(`local platform: firewall id ${id} is not ours`);
  const root = cgroup2Root();
  if (!root) throw new Error('no cgroup v2 hierarchy is mounted');
  const chain = chainOf(id);
  const cgroup = cgroupOf(id);
  try {
    fs.mkdirSync(path.join(root, cgroup));
    for (const t of TABLES) {
      await table(t, ['-N', chain]);
      await table(t, ['-A', chain, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN']);
      await table(t, ['-A', chain, '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
      await table(t, ['-A', chain, '-j', 'REJECT']);
      await table(t, ['-I', 'OUTPUT', '1', ...jumpRule(id)]);
    }
  } catch (err) {
    await removeLoopbackFirewall(id);
    throw err;
  }
  return {
    procs: path.join(root, cgroup, 'cgroup.procs'),
    allow: async (ip) => {
      await table('iptables', ['-I', chain, '1', '-d', `${ip}/32`, '-j', 'RETURN']);
    },
  };
}

/** Rounds of removal tried before a rule that is still there counts as a failure. */
const REMOVAL_ROUNDS = 5;

/** An iptables refusal because the rule or chain is already gone (another process removed it): nothing to do.
 * Any other refusal, or one in the last round, is thrown. */
function goneOr(err: unknown, round: number): void {
  const gone = /Bad rule|does a matching rule exist|No chain\/target\/match|doesn't exist/i.test(String(err));
  if (!gone || round >= REMOVAL_ROUNDS - 1) throw err;
}

function jumpRule(id: string): string[] {
  return ['-o', 'lo', '-m', 'cgroup', '--path', cgroupOf(id), '-j', chainOf(id)];
}

/**
 * Removes the run's firewall, idempotently: first whatever still runs in its cgroup (cgroup.kill: nothing of the
 * run may outlive the rules that confine it), then the jumps, chains and the cgroup. Throws what it could not
 * remove (the journal entry then stays for the next cleanup).
 */
export async function removeLoopbackFirewall(id: string): Promise<void> {
  if (!ID.test(id)) throw new Error(`local platform: firewall id ${id} is not ours`);
  const problems: string[] = [];
  const root = cgroup2Root();
  const dir = root ? path.join(root, cgroupOf(id)) : undefined;
  if (dir && fs.existsSync(dir)) {
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    } catch {
      // cgroup.kill needs Linux 5.14; an empty cgroup needs nothing
    }
    const deadline = Date.now() + 5000;
    // (Read as empty once gone: another process may be removing the same cgroup.)
    const procs = () => {
      try {
        return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim();
      } catch {
        return '';
      }
    };
    while (procs() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
  for (const t of TABLES) {
    if (!findExecutable(t)) continue;
    const chain = chainOf(id);
    try {
      // By spec while the cgroup exists (the rule's own words: another run inserting or deleting its jump at the
      // same time cannot make this delete the wrong one, as a position read a moment earlier could). A spec
      // naming a cgroup that is gone cannot be matched: then by position, read again just before. Another process may be removing the same firewall at this moment (a dead run's, swept by every run that
      // starts): what it removed first is gone, not a failure; what is still there after a few rounds is.
      for (let round = 0; (await jumpPositions(t, chain)).length > 0; round++) {
        const [n] = await jumpPositions(t, chain);
        // By spec first (cannot hit another run's jump); should the spec not match, by the position just read.
        const bySpec = dir !== undefined && fs.existsSync(dir) && round < 2;
        const spec = bySpec ? jumpRule(id) : n !== undefined ? [String(n)] : [];
        if (spec.length) await table(t, ['-D', 'OUTPUT', ...spec]).catch((err: unknown) => goneOr(err, round));
      }
      if (
        await table(t, ['-S', chain]).then(
          () => true,
          () => false,
        )
      ) {
        await table(t, ['-F', chain]).catch((err: unknown) => goneOr(err, 0));
        await table(t, ['-X', chain]).catch((err: unknown) => goneOr(err, 0));
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (dir && fs.existsSync(dir)) {
    try {
      fs.rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`cgroup ${dir}: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new Error(problems.join('; '));
}

/**
 * Removes the firewalls of runs whose process is gone (a PID still in use, even by another program, keeps its
 * firewall: never one of a live run). Returns the ids removed.
 */
export async function sweepStaleFirewalls(): Promise<string[]> {
  const root = cgroup2Root();
  const ids = new Set<string>();
  const prefix = cgroupOf('');
  if (root) for (const d of fs.readdirSync(root)) if (d.startsWith(prefix)) ids.add(d.slice(prefix.length));
  for (const t of TABLES) {
    const rules = await table(t, ['-S']).catch(() => '');
    for (const m of rules.matchAll(/^-N RCR-LO-(\S+)$/gm)) ids.add(m[1]!);
  }
  const removed: string[] = [];
  for (const id of ids) {
    const pid = ID.exec(id)?.[1];
    if (pid === undefined || fs.existsSync(`/proc/${parseInt(pid, 16)}`)) continue;
    await removeLoopbackFirewall(id);
    removed.push(id);
  }
  return removed;
}
