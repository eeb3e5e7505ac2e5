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

/**
 * Makes pod IPs reachable from this process: `ip route replace <podCIDR> via <nodeIP>` for every node. Redis
 * announces pod IPs, so the core connects to them as they are, with no proxy in the path to distort timings.
 */
export async function addPodRoutes(routes: PodRoute[], log: Log): Promise<void> {
  for (const r of routes) {
    const failed = await ipRoute(['replace', r.cidr, 'via', r.via]);
    if (failed) throw new Error(`could not add a route to pod CIDR ${r.cidr} via node ${r.node} (${r.via}): ${failed}`);
    log.info(`route ${r.cidr} via ${r.via} (${r.node})`);
  }
}

/**
 * Removes the routes addPodRoutes added, once their cluster is gone: left behind they would send that address
 * range (10.244.0.0/16 by default) into a Docker network that no longer leads anywhere. Failures only warn.
 */
export async function removePodRoutes(routes: PodRoute[], log: Log): Promise<void> {
  for (const r of routes) {
    const failed = await ipRoute(['del', r.cidr, 'via', r.via]);
    if (failed) log.warn(`could not remove the route to pod CIDR ${r.cidr} via ${r.via} (${failed}); remove it with "sudo ip route del ${r.cidr}"`);
  }
}
