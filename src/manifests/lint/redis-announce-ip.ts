import type { LintRule } from './rule.ts';
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
