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
 * Makes pod IPs reachable from this process: `ip route replace <podCIDR> via <nodeIP>` for every node, with
 * sudo unless already root (GitHub's runners allow it without a password). Redis announces pod IPs, so the
 * core connects to them as they are, with no proxy in the path to distort timings.
 */
export async function addPodRoutes(routes: PodRoute[], log: Log): Promise<void> {
  const root = process.getuid?.() === 0;
  for (const r of routes) {
    const args = ['route', 'replace', r.cidr, 'via', r.via];
    const code = root
      ? await exec.exec('ip', args, { ignoreReturnCode: true })
      : await exec.exec('sudo', ['-n', 'ip', ...args], { ignoreReturnCode: true });
    if (code !== 0) throw new Error(`could not add a route to pod CIDR ${r.cidr} via node ${r.node} (${r.via})`);
    log.info(`route ${r.cidr} via ${r.via} (${r.node})`);
  }
}
