import type { V1Node } from '@kubernetes/client-node';
import * as exec from '@actions/exec';
import type { Log } from '../../util/log.ts';

export interface PodRoute {
  node: string;
  cidr: string;
  via: string;
}

/** One route per node: its pod CIDR(s) through its InternalIP (a kind node is a container on the runner). */
export function podRoutes(nodes: V1Node[]): PodRoute[] {
  return nodes.flatMap((n) => {
    const via = n.status?.addresses?.find((a) => a.type === 'InternalIP' && !a.address.includes(':'))?.address;
    const cidrs = n.spec?.podCIDRs?.length ? n.spec.podCIDRs : n.spec?.podCIDR ? [n.spec.podCIDR] : [];
    if (!via) return [];
    return cidrs.filter((c) => !c.includes(':')).map((cidr) => ({ node: n.metadata?.name ?? '', cidr, via }));
  });
}

/**
 * `ip route <args>`, through `sudo -n` unless already root (GitHub's runners allow it without a password).
 * Undefined when it worked, else what it said.
 */
async function ipRoute(args: string[]): Promise<string | undefined> {
  const [cmd, full] = process.getuid?.() === 0 ? ['ip', ['route', ...args]] : ['sudo', ['-n', 'ip', 'route', ...args]];
  const out = await exec.getExecOutput(cmd, full, { ignoreReturnCode: true, silent: true });
  return out.exitCode === 0 ? undefined : out.stderr.trim() || `exit code ${out.exitCode}`;
}

/** The route this machine already has for exactly `cidr` (`ip route show exact`, no privileges), or undefined. */
async function existingRoute(cidr: string): Promise<string | undefined> {
  const out = await exec.getExecOutput('ip', ['route', 'show', 'exact', cidr], {
    ignoreReturnCode: true,
    silent: true,
  });
  return out.exitCode === 0 ? out.stdout.trim() || undefined : undefined;
}

/**
 * The routes this run may add: those whose pod CIDR has no route yet. A route that exists (another cluster's,
 * the user's own, a VPN's) is never replaced, and so never removed by this run either; pods behind it may then be
 * unreachable, which the reach preflight finds (and falls back to port-forwards).
 */
export async function routesToAdd(routes: PodRoute[], log: Log): Promise<PodRoute[]> {
  const add: PodRoute[] = [];
  for (const r of routes) {
    const existing = await existingRoute(r.cidr);
    if (existing)
      log.warn(
        `a route to pod CIDR ${r.cidr} already exists ("${existing}"); left as it is, not replaced and not removed`,
      );
    else add.push(r);
  }
  return add;
}

/**
 * Makes pod IPs reachable from this process: `ip route add <podCIDR> via <nodeIP>` for each route (from
 * routesToAdd). Redis announces pod IPs, so the core connects to them as they are, with no proxy in the path to
 * distort timings. `onAdding` runs before each route is added (to record its undo first).
 */
export async function addPodRoutes(
  routes: PodRoute[],
  log: Log,
  onAdding: (r: PodRoute) => Promise<void> = async () => {},
): Promise<void> {
  for (const r of routes) {
    await onAdding(r);
    const failed = await ipRoute(['add', r.cidr, 'via', r.via]);
    if (failed) throw new Error(`could not add a route to pod CIDR ${r.cidr} via node ${r.node} (${r.via}): ${failed}`);
    log.info(`route ${r.cidr} via ${r.via} (${r.node})`);
  }
}

/**
 * Removes a route addPodRoutes added, once its cluster is gone: left behind it would send that address range
 * (10.244.0.0/16 by default) into a Docker network that no longer leads anywhere. A route already gone is
 * fine (`ip route del` then says "No such process"); any other failure throws, saying how to do it by hand.
 */
export async function removePodRoute(r: { cidr: string; via: string }): Promise<void> {
  const failed = await ipRoute(['del', r.cidr, 'via', r.via]);
  if (failed && !/No such process/i.test(failed)) {
    throw new Error(
      `could not remove the route to pod CIDR ${r.cidr} via ${r.via} (${failed}); remove it with "sudo ip route del ${r.cidr}"`,
    );
  }
}
