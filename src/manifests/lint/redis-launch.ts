import type { LintFinding, LintRule } from './rule.ts';
import type { RedisDeployment } from '../model.ts';
import { clusterBusPort } from './cluster-bus-port.ts';
import { redisAnnounceIp } from './redis-announce-ip.ts';
import { redisClusterEnabled } from './redis-cluster-enabled.ts';
import { redisNodeTimeout } from './redis-node-timeout.ts';
import { redisNoFailover } from './redis-no-failover.ts';
import { redisPersistence } from './redis-persistence.ts';

const ID = 'redis-launch';

/** Rules that judge redis.conf: with its content unknown, their silence would be a false pass. */
export const CONFIG_RULES: readonly LintRule[] = [
  redisClusterEnabled,
  redisPersistence,
  redisNodeTimeout,
  redisNoFailover,
  redisAnnounceIp,
  clusterBusPort,
];

/** True when lint cannot see Redis' configuration, so the CONFIG_RULES are not applied. */
export function configUnknown(redis: RedisDeployment | undefined): boolean {
  return redis?.launch.config === 'unknown';
}

/**
 * What lint could not know statically about how redis-server starts (a wrapper script, an init container
 * rendering the config, values computed at start), each at its line, and which rules it therefore skipped.
 */
export const redisLaunch: LintRule = {
  id: ID,
  summary:
    'how redis-server (valkey-server) starts (wrapper scripts, init-container configs): what lint could not read',
  check({ redis }) {
    if (!redis) return [];
    const findings: LintFinding[] = [];
    const skipped = configUnknown(redis) ? ` Not applied: ${CONFIG_RULES.map((r) => r.id).join(', ')}.` : '';
    if (redis.launch.wrapper) {
      findings.push({
        rule: ID,
        severity: 'info',
        message:
          `StatefulSet ${redis.name}: ${redis.server.program} is started by ${redis.launch.wrapper.description}` +
          (redis.launch.redisArgv.length ? `: ${redis.launch.redisArgv.join(' ')}` : ''),
        fix:
          'Lint reads the command the wrapper execs; what the script does before that (e.g. rewriting nodes.conf) ' +
          'only shows when the pod runs. The local platform runs the script itself in a sandbox (bubblewrap); without ' +
          'one, or for scripts only the image has, use platform kind.',
        at: redis.launch.wrapper.at,
      });
    }
    for (const gap of redis.launch.gaps) {
      findings.push({
        rule: ID,
        severity: 'info',
        message: `StatefulSet ${redis.name}: ${gap.message}`,
        fix: `Lint judges what the manifests show.${skipped} The check itself runs the pods and sees the real configuration.`,
        at: gap.at,
      });
    }
    return findings;
  },
};
