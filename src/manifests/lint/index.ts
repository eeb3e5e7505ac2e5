import { InputError, messageOf } from '../../errors.ts';
import { SEVERITIES, type KubernetesVersion, type LintContext, type LintFinding, type LintRule } from './rule.ts';
import { redisDeployment } from '../deployment.ts';
import type { ManifestSet, RedisDeployment } from '../model.ts';
import { antiAffinity } from './anti-affinity.ts';
import { apiRemoved } from './api-removed.ts';
import { apiUnknown } from './api-unknown.ts';
import { bootstrapIdempotent } from './bootstrap-idempotent.ts';
import { clusterBusPort } from './cluster-bus-port.ts';
import { envUndefined } from './env-undefined.ts';
import { externalService } from './external-service.ts';
import { fileMode } from './file-mode.ts';
import { imageVersion } from './image-version.ts';
import { probes } from './probes.ts';
import { pvBinding } from './pv-binding.ts';
import { pvNodeAffinity } from './pv-node-affinity.ts';
import { pvRecycle } from './pv-recycle.ts';
import { redisAnnounceIp } from './redis-announce-ip.ts';
import { redisClusterEnabled } from './redis-cluster-enabled.ts';
import { redisNodeTimeout } from './redis-node-timeout.ts';
import { redisNoFailover } from './redis-no-failover.ts';
import { redisPeerRediscovery } from './redis-peer-rediscovery.ts';
import { redisPersistence } from './redis-persistence.ts';
import { CONFIG_RULES, configUnknown, redisLaunch } from './redis-launch.ts';
import { schema } from './schema.ts';
import { statefulSetSelector } from './statefulset-selector.ts';
import { statefulSetService } from './statefulset-service.ts';
import { statefulSetVolumeClaims } from './statefulset-volume-claims.ts';
import { storageClassMissing } from './storage-class-missing.ts';
import { storageProvisioner } from './storage-provisioner.ts';
import { strayQuoteRule } from './stray-quote.ts';
import { topology } from './topology.ts';
import { unknownField } from './unknown-field.ts';
import { unresolvedPlaceholder } from './unresolved-placeholder.ts';
import { volumeBindingMode } from './volume-binding-mode.ts';

export { formatFindings } from './format.ts';
export type { LintRule } from './rule.ts';

export interface LintOptions {
  /** Target Kubernetes version, e.g. '1.31' or 'v1.31.2'. Default '1.31'. */
  kubernetesVersion?: string;
  /** Kubernetes nodes the pods are spread over; unset: unknown (nothing that depends on it is judged). */
  nodes?: number;
  masters?: number;
  replicasPerMaster?: number;
}

export const DEFAULT_KUBERNETES_VERSION = '1.31';

/** The id of the finding made when the manifests hold no usable Redis StatefulSet. */
export const REDIS_STATEFULSET_RULE = 'redis-statefulset';

/** Every rule, in the order their findings are listed at the same line. */
export const RULES: readonly LintRule[] = [
  apiRemoved,
  apiUnknown,
  schema,
  unknownField,
  statefulSetSelector,
  statefulSetService,
  statefulSetVolumeClaims,
  redisLaunch,
  redisClusterEnabled,
  redisPersistence,
  redisNodeTimeout,
  redisNoFailover,
  redisAnnounceIp,
  redisPeerRediscovery,
  bootstrapIdempotent,
  envUndefined,
  fileMode,
  topology,
  pvBinding,
  storageProvisioner,
  storageClassMissing,
  volumeBindingMode,
  pvRecycle,
  pvNodeAffinity,
  unresolvedPlaceholder,
  strayQuoteRule,
  imageVersion,
  clusterBusPort,
  probes,
  externalService,
  antiAffinity,
];

export function parseKubernetesVersion(text: string): KubernetesVersion {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(text.trim());
  if (!m)
    throw new InputError(
      `Kubernetes version "${text}" is not a version; expected MAJOR.MINOR such as 1.31 (or v1.31.2)`,
    );
  return { major: Number(m[1]), minor: Number(m[2]), text: `${m[1]!}.${m[2]!}` };
}

/** By file, line, column; then the most severe first. Findings without a position come last. */
export function compareFindings(a: LintFinding, b: LintFinding): number {
  const fa = a.at?.file ?? '\uffff';
  const fb = b.at?.file ?? '\uffff';
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (
    (a.at?.line ?? 0) - (b.at?.line ?? 0) ||
    (a.at?.column ?? 0) - (b.at?.column ?? 0) ||
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)
  );
}

/**
 * Static checks of the manifests for a Redis Cluster on the target Kubernetes version: everything that would
 * stop it from deploying, forming, failing over or keeping its NodeIDs, with the file and line at fault.
 * `rules` narrows the run (tests run one rule at a time).
 */
export function lintManifests(
  set: ManifestSet,
  opts: LintOptions = {},
  rules: readonly LintRule[] = RULES,
): LintFinding[] {
  const nodes = opts.nodes;
  if (nodes !== undefined && (!Number.isInteger(nodes) || nodes < 1))
    throw new InputError(`Kubernetes nodes must be a whole number >= 1, got ${nodes}`);
  const findings: LintFinding[] = [];
  let redis: RedisDeployment | undefined;
  try {
    redis = redisDeployment(set);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    findings.push({
      rule: REDIS_STATEFULSET_RULE,
      severity: 'error',
      message: messageOf(err),
      fix:
        'The Redis-specific checks need one StatefulSet running redis-server (or valkey-server) with its config file among the ' +
        'manifests; fix what the message names.',
      ...(set.objects[0] ? { at: set.objects.find((o) => o.kind === 'StatefulSet')?.at ?? set.objects[0].at } : {}),
    });
  }
  const ctx: LintContext = {
    set,
    kubernetes: parseKubernetesVersion(opts.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION),
    ...(nodes !== undefined ? { nodes } : {}),
    ...(opts.masters !== undefined ? { masters: opts.masters } : {}),
    ...(opts.replicasPerMaster !== undefined ? { replicasPerMaster: opts.replicasPerMaster } : {}),
    ...(redis ? { redis } : {}),
  };
  // With redis.conf unknown (rendered at start from nothing in the manifests), the rules that judge it are
  // skipped; redis-launch says so at the line.
  const blind = configUnknown(redis) ? { ...ctx, redis: undefined } : ctx;
  for (const rule of rules) findings.push(...rule.check(CONFIG_RULES.includes(rule) ? blind : ctx));
  // A finding about something the manifests leave out (a directive never set) points at the Redis StatefulSet:
  // every finding has a file and line, which code scanning needs (it refuses a SARIF result without a location,
  // github/codeql-action#1738) and annotations use.
  const fallback = redis?.statefulSet.at ?? set.objects[0]?.at;
  const located = fallback ? findings.map((f) => (f.at ? f : { ...f, at: fallback })) : findings;
  return located.sort(compareFindings);
}
