import type { LintFinding, LintRule } from './rule.ts';
import type { RedisDeployment } from '../model.ts';
import { directiveAt } from './redis-view.ts';

const ID = 'redis-persistence';

function where(redis: RedisDeployment, containerFile: string): string {
  const m = redis.mountFor(containerFile);
  if (!m) return "the container's own filesystem";
  const s = m.source;
  const what =
    s.type === 'pvc'
      ? `claim ${s.claimTemplate}`
      : s.type === 'configMap'
        ? `ConfigMap ${s.configMap} (read-only)`
        : s.type === 'other'
          ? s.description
          : s.type;
  return `volume ${m.name} at ${m.mountPath} (${what})`;
}

export const redisPersistence: LintRule = {
  id: ID,
  summary: 'nodes.conf (cluster-config-file), dir and the AOF on a PersistentVolumeClaim mount',
  check({ redis }) {
    if (!redis) return [];
    const findings: LintFinding[] = [];
    const claims = redis.claimTemplates.map((t) => t.name).join(', ') || 'a volumeClaimTemplate';
    if (!redis.isPersistent(redis.clusterConfigFile)) {
      findings.push({
        rule: ID,
        severity: 'error',
        message: `StatefulSet ${redis.name}: nodes.conf (${redis.clusterConfigFile}) lies on ${where(redis, redis.clusterConfigFile)}, not on a PersistentVolumeClaim`,
        fix:
          'nodes.conf holds the NodeID: a recreated pod without it starts as a new, empty master that knows no ' +
          'other node, and the cluster keeps the old NodeID as a failed entry. Put cluster-config-file under ' +
          `\`dir\` on the mount of ${claims} (${redis.server.name} reads it there at start).`,
        at: directiveAt(redis, redis.directive('cluster-config-file') !== undefined ? 'cluster-config-file' : 'dir'),
      });
    }
    if (!redis.isPersistent(redis.dataDir)) {
      const aof =
        redis.directive('appendonly')?.toLowerCase() === 'yes'
          ? 'append-only files and RDB snapshots'
          : 'RDB snapshots';
      findings.push({
        rule: ID,
        severity: 'error',
        message: `StatefulSet ${redis.name}: dir ${redis.dataDir} (${aof}) lies on ${where(redis, redis.dataDir)}, not on a PersistentVolumeClaim`,
        fix:
          `The ${aof} are lost with the pod, so a master recreated before its replica took over comes back ` +
          `empty and its replicas resync to that empty data set. Set \`dir\` to the mount path of ${claims}.`,
        at: directiveAt(redis, 'dir'),
      });
    }
    return findings;
  },
};
