import { createHash } from 'node:crypto';
import type { JsonValue, ManifestSet, RedisDeployment } from './model.ts';
import { isObject, valueAt } from './object-path.ts';
import { pathText } from './update-refusals.ts';

/** What a pull request changes that matters to a running Redis Cluster, base against head. */
export interface DeploymentChanges {
  /** The pod template changed: the StatefulSet controller replaces pods (a new revision). */
  templateChanged: boolean;
  /** Leaf paths under spec.template that differ (the first few). */
  templateFields: string[];
  image?: { before: string; after: string };
  /** The server program changed (Redis to Valkey). */
  server?: { before: string; after: string };
  /** Effective redis.conf directives (config file, then arguments) that differ. */
  directives: Array<{ name: string; before?: string; after?: string }>;
  /** ConfigMaps whose data changed: without a template change no pod restarts, and the running servers keep the
   * old config until their next restart. */
  configMaps: string[];
  /** Where nodes.conf lives, before and after, and whether it is on a claim: a move loses the NodeID. */
  clusterConfigFile?: { before: string; after: string; persistentBefore: boolean; persistentAfter: boolean };
}

const MAX_FIELDS = 20;

/** Every leaf path where a and b differ (objects by key, arrays by index), up to `limit`. */
function differences(a: JsonValue | undefined, b: JsonValue | undefined, path: Array<string | number>, out: string[]) {
  if (out.length >= MAX_FIELDS || JSON.stringify(a) === JSON.stringify(b)) return;
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      differences(a[k], b[k], [...path, k], out);
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => differences(x, b[i], [...path, i], out));
  } else out.push(pathText(path));
}

/**
 * Our stand-in for the StatefulSet controller's revision (its `controller-revision-hash` pod label): the name
 * and a hash of the pod template, so equal templates give the same revision and any change a new one.
 */
export function templateRevision(redis: RedisDeployment): string {
  const template = JSON.stringify(valueAt(redis.statefulSet.body, ['spec', 'template']) ?? null);
  return `${redis.name}-${createHash('sha256').update(template).digest('hex').slice(0, 10)}`;
}

function lastValues(r: RedisDeployment): Map<string, string> {
  const m = new Map<string, string>();
  for (const d of r.directives) m.set(d.name.toLowerCase(), d.args.join(' '));
  return m;
}

export function deploymentChanges(
  base: { set: ManifestSet; redis: RedisDeployment },
  head: { set: ManifestSet; redis: RedisDeployment },
): DeploymentChanges {
  const templateFields: string[] = [];
  differences(
    valueAt(base.redis.statefulSet.body, ['spec', 'template']),
    valueAt(head.redis.statefulSet.body, ['spec', 'template']),
    ['spec', 'template'],
    templateFields,
  );
  const before = lastValues(base.redis);
  const after = lastValues(head.redis);
  const directives = [...new Set([...before.keys(), ...after.keys()])]
    .filter((n) => before.get(n) !== after.get(n))
    .sort()
    .map((name) => ({
      name,
      ...(before.has(name) ? { before: before.get(name)! } : {}),
      ...(after.has(name) ? { after: after.get(name)! } : {}),
    }));
  const baseMaps = new Map(base.set.objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.name, o.body]));
  const configMaps = head.set.objects
    .filter((o) => o.kind === 'ConfigMap' && baseMaps.has(o.name))
    .filter((o) => JSON.stringify(baseMaps.get(o.name)!.data) !== JSON.stringify(o.body.data))
    .map((o) => o.name);
  const b = base.redis;
  const h = head.redis;
  const movedConf =
    b.clusterConfigFile !== h.clusterConfigFile ||
    b.isPersistent(b.clusterConfigFile) !== h.isPersistent(h.clusterConfigFile) ||
    b.mountFor(b.clusterConfigFile)?.name !== h.mountFor(h.clusterConfigFile)?.name;
  return {
    templateChanged: templateRevision(b) !== templateRevision(h),
    templateFields,
    ...(b.container.image !== h.container.image
      ? { image: { before: b.container.image, after: h.container.image } }
      : {}),
    ...(b.server.kind !== h.server.kind ? { server: { before: b.server.name, after: h.server.name } } : {}),
    directives,
    configMaps,
    ...(movedConf
      ? {
          clusterConfigFile: {
            before: b.clusterConfigFile,
            after: h.clusterConfigFile,
            persistentBefore: b.isPersistent(b.clusterConfigFile),
            persistentAfter: h.isPersistent(h.clusterConfigFile),
          },
        }
      : {}),
  };
}

/**
 * Why a pod came back with a new NodeID, from what the PR changed: nodes.conf no longer on a claim, moved
 * (`dir` / `cluster-config-file`), or its volume changed. undefined when the changes do not explain it.
 */
export function nodeIdLossCause(c: DeploymentChanges, head: RedisDeployment): string | undefined {
  const conf = c.clusterConfigFile;
  const moved = c.directives.filter((d) => d.name === 'dir' || d.name === 'cluster-config-file');
  const volumes = c.templateFields.filter((f) => /\.volumes\b|\.volumeMounts\b/.test(f));
  const parts: string[] = [];
  if (conf && conf.persistentBefore && !conf.persistentAfter)
    parts.push(
      `nodes.conf (${conf.after}) is no longer on a PersistentVolumeClaim: ${head.mountFor(conf.after) ? `its volume ${head.mountFor(conf.after)!.name} is ${head.mountFor(conf.after)!.source.type}` : 'it lies on the container filesystem'}`,
    );
  else if (conf) parts.push(`nodes.conf moved from ${conf.before} to ${conf.after}`);
  for (const d of moved) parts.push(`${d.name} ${d.before ?? '(unset)'} -> ${d.after ?? '(unset)'}`);
  if (volumes.length) parts.push(`the pod's volumes changed (${volumes.slice(0, 3).join(', ')})`);
  return parts.length ? parts.join('; ') : undefined;
}
