import { isIP } from 'node:net';
import type { RedisDeployment } from '../model.ts';
import type { LintFinding, LintRule } from './rule.ts';
import { directiveAt, lastDirective } from './redis-view.ts';

const ID = 'redis-announce-ip';
const POD_IP = 'status.podIP';

export const redisAnnounceIp: LintRule = {
  id: ID,
  summary: 'each pod announces its own pod IP (cluster-announce-ip $(POD_IP) from status.podIP)',
  check({ redis }) {
    if (!redis) return [];
    const d = lastDirective(redis, 'cluster-announce-ip');
    const at = directiveAt(redis, 'cluster-announce-ip');
    const howTo = `Add env POD_IP from fieldRef status.podIP and pass \`--cluster-announce-ip $(POD_IP)\` to ${redis.server.program}.`;
    const value = d?.args[0];
    if (value === undefined) {
      return [
        {
          rule: ID,
          severity: 'warning',
          message: `StatefulSet ${redis.name}: the pod IP is not announced (no cluster-announce-ip)`,
          fix:
            'A pod recreated with a new IP is found by the other nodes, but its own `myself` entry and CLUSTER ' +
            'SLOTS keep the old IP, so clients that ask it are sent to an address that is gone. ' +
            howTo,
          at,
        },
      ];
    }
    const ref = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(value)?.[1];
    if (ref !== undefined && d!.from.kind === 'arg') {
      const env = redis.container.env.find((e) => e.name === ref);
      if (env?.fieldRef === POD_IP) return [];
      return [
        {
          rule: ID,
          severity: 'warning',
          message: `StatefulSet ${redis.name}: cluster-announce-ip $(${ref}) is ${env ? `not the pod IP (${env.fieldRef ?? `"${env.value ?? ''}"`})` : 'not defined in env'}`,
          fix: `Each node must announce the address it is reached at. ${howTo}`,
          at,
        },
      ];
    }
    const named = hostnameAnnounced(redis, value);
    if (named) return [named];
    if (value.includes('$')) return []; // a placeholder: unresolved-placeholder reports it
    return [
      {
        rule: ID,
        severity: 'error',
        message: `StatefulSet ${redis.name}: every pod announces the same address ${value}`,
        fix: `cluster-announce-ip is per pod; with one fixed address the nodes cannot tell each other apart. ${howTo}`,
        at,
      },
    ];
  },
};

/** Redis keeps a node's address in a NET_IP_STR_LEN (46) byte field, terminator included: longer ones are cut
 * (redis/redis#4289: hostnames announced this way are truncated and the cluster cannot form). */
export const MAX_ANNOUNCE_BYTES = 45;
/** The kubelet's default --cluster-domain; a cluster with another domain has names of another length. */
const CLUSTER_DOMAIN = 'cluster.local';

/**
 * A hostname announced where Redis takes an address (`$(hostname -f)`, `$HOSTNAME.<service>…`, a literal name):
 * an error when the longest pod's name is over the field, else a warning (every reconnect then depends on DNS).
 */
function hostnameAnnounced(redis: RedisDeployment, value: string): LintFinding | undefined {
  const pod = `${redis.name}-${Math.max(0, redis.replicas - 1)}`;
  const fqdn = `${pod}.${redis.serviceName}.${redis.namespace}.svc.${CLUSTER_DOMAIN}`;
  const podNameVars = redis.container.env.filter((e) => e.fieldRef === 'metadata.name').map((e) => e.name);
  let resolved = value
    .replace(/\$\(hostname (-f|--fqdn|-A)\)|`hostname (-f|--fqdn|-A)`/g, fqdn)
    .replace(/\$\(hostname\)|`hostname`|\$\{?HOSTNAME\}?/g, pod);
  for (const v of podNameVars) resolved = resolved.replaceAll(`$(${v})`, pod);
  // A literal is one address for every pod: the error below the call says so.
  if (resolved === value || resolved.includes('$') || resolved.includes('`') || isIP(resolved) !== 0) return undefined;
  const bytes = Buffer.byteLength(resolved);
  const shown = resolved === value ? value : `${value} (${resolved} for pod ${pod})`;
  const at = directiveAt(redis, 'cluster-announce-ip');
  if (bytes > MAX_ANNOUNCE_BYTES)
    return {
      rule: ID,
      severity: 'error',
      message: `StatefulSet ${redis.name}: cluster-announce-ip ${shown} is ${bytes} bytes, over the ${MAX_ANNOUNCE_BYTES} ${redis.server.name} keeps`,
      fix:
        `${redis.server.name} stores a node's address in a ${MAX_ANNOUNCE_BYTES + 1}-byte field and cuts what is longer, so the other ` +
        'nodes gossip and dial a name that does not exist and the cluster never forms (redis/redis#4289). Announce the pod IP ' +
        '(env POD_IP from fieldRef status.podIP, `--cluster-announce-ip $(POD_IP)`); for names use cluster-announce-hostname.',
      at,
    };
  return {
    rule: ID,
    severity: 'warning',
    message: `StatefulSet ${redis.name}: cluster-announce-ip ${shown} is a hostname, not an address`,
    fix:
      'Every node then dials that name at each reconnect, so a DNS record that lags a recreated pod (a headless Service ' +
      `lists a pod only once it is ready, unless publishNotReadyAddresses) cuts it off, and a longer name is cut at ${MAX_ANNOUNCE_BYTES} bytes. ` +
      'Announce the pod IP (env POD_IP from fieldRef status.podIP); cluster-announce-hostname carries names since Redis 7.0.',
    at,
  };
}
