import { InputError } from '../../errors.ts';
import type { ManifestSet, RedisDeployment } from '../../manifests/model.ts';
import type { Log } from '../../util/log.ts';
import { settleWithin } from '../../util/wait.ts';
import { missingAccess, requiredAccess, rulesText, type AccessRule } from './access.ts';
import { apiStatus, kubeError, type KubeClients } from './api.ts';
import { otherWorkloadPods, sharedNamespaceRefusal } from './quota-hold.ts';
import type { KubeSettings } from './settings.ts';

/** Bound on the checks before any change: the discovery of each kind, then the reviews (sent at once). */
const ACCESS_CHECK_TIMEOUT_MS = 30_000;

/** What the checks before any change on a cluster the run is given take from the platform. */
export interface AccessCheckDeps {
  clients: KubeClients;
  settings: KubeSettings;
  log: Log;
  signal?: AbortSignal;
  /** Bound on the discovery and the access reviews together; default 30 s. */
  timeoutMs?: number;
}

/** The hold the scenarios will take: none without hold-restart. */
const holdKind = (settings: KubeSettings): 'quota' | 'cordon' | undefined =>
  settings.holdRestart === false ? undefined : settings.holdMode;

/**
 * A cluster the run is given: before any change, every permission the run will use is asked of the API
 * server (SelfSubjectAccessReview, access.ts). A missing one stops the run here, naming each rule, instead of
 * a 403 halfway: after objects were applied or, for the quota hold, at the pod's deletion. Where the reviews
 * cannot be asked, the run goes on and each 403 still names its rule.
 */
export async function checkAccess(
  deps: AccessCheckDeps,
  set: ManifestSet,
  redis: RedisDeployment,
  namespace: string,
): Promise<void> {
  const hold = holdKind(deps.settings);
  const timeoutMs = deps.timeoutMs ?? ACCESS_CHECK_TIMEOUT_MS;
  // One bound for both: a discovery request the server never answers would otherwise hold the run here.
  const answer = await settleWithin(
    reviewAccess(deps, set, redis, namespace, hold),
    timeoutMs,
    `no answer within ${timeoutMs / 1000} s`,
    deps.signal,
  ).catch((err: unknown) => ({ unknown: err }));
  if ('unknown' in answer) {
    // apiStatus: the server's words, or a network error with any credential in its URL redacted.
    deps.log.warn(
      `access: could not ask the API server which permissions the kubeconfig's user has (discovery and SelfSubjectAccessReview: ${apiStatus(answer.unknown).message}); a refusal later names its rule`,
    );
    return;
  }
  if (answer.missing.length === 0) {
    deps.log.info(`access: the kubeconfig's user has all ${answer.rules.length} permissions the run uses`);
    return;
  }
  throw new InputError(accessRefusal(answer.missing, hold));
}

/** The rules the run needs (each kind's resource from discovery), and which of them the user lacks. */
async function reviewAccess(
  deps: AccessCheckDeps,
  set: ManifestSet,
  redis: RedisDeployment,
  namespace: string,
  hold: 'quota' | 'cordon' | undefined,
): Promise<{ rules: AccessRule[]; missing: AccessRule[] } | { unknown: unknown }> {
  const { objects, kc } = deps.clients;
  const served: Array<{ kind: string; group: string; resource: string; namespaced: boolean }> = [];
  for (const o of set.objects) {
    const apiVersion = typeof o.body.apiVersion === 'string' ? o.body.apiVersion : '';
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
    if (served.some((s) => s.kind === o.kind && s.group === group)) continue;
    // A kind the server does not serve is apply's to report, with its file and line.
    const r = await objects.served(apiVersion, o.kind).catch(() => undefined);
    if (r) served.push({ kind: o.kind, group, ...r });
  }
  const rules = requiredAccess({
    namespace,
    namespaceGiven: deps.settings.namespace !== undefined,
    objects: served,
    claims: redis.claimTemplates.length > 0,
    hold,
  });
  const answer = await missingAccess(kc, rules);
  return 'unknown' in answer ? answer : { rules, missing: answer.missing };
}

/** The missing permissions, each as the rule to grant; for the quota hold, the choices besides granting it. */
function accessRefusal(missing: AccessRule[], hold: 'quota' | 'cordon' | undefined): string {
  const quota = missing.some((r) => r.resource === 'resourcequotas');
  return [
    `kubeconfig: its user lacks ${missing.length} permission(s) this run uses; nothing was changed. Missing RBAC rules:`,
    ...rulesText(missing).map((l) => `  - ${l}`),
    ...(quota && hold === 'quota'
      ? [
          'The restart hold (hold-mode quota, the default) creates a ResourceQuota, which the built-in admin and edit roles do not allow (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles: admin "does not allow write access to resource quota"). Choose one:',
          '  - grant the rule above (docs/rbac-existing.yaml has the Role),',
          '  - hold-mode: cordon (cordons every schedulable node while held; needs nodes list and patch at the cluster scope),',
          '  - hold-restart: false (no hold: the deleted pod may come back before the failover is measured).',
        ]
      : ['docs/rbac-existing.yaml lists every rule the run uses.']),
  ].join('\n');
}

/**
 * hold-mode quota in a namespace the user gave: the ResourceQuota counts every pod of the namespace, so
 * while it holds no other workload there can create a pod either. Refused before any change unless
 * quota-hold-shared is true; a namespace of the run's own (namespace unset) is never shared.
 */
export async function checkSharedNamespace(
  deps: AccessCheckDeps,
  namespace: string,
  statefulSet: string,
): Promise<void> {
  const { settings } = deps;
  if (holdKind(settings) !== 'quota' || settings.namespace === undefined || settings.quotaHoldShared) return;
  const pods = await deps.clients.core.listNamespacedPod({ namespace }).catch((err: unknown) => {
    throw kubeError(`listing the pods of namespace ${namespace} (does it run other workloads?)`, err);
  });
  const others = otherWorkloadPods(pods.items, statefulSet);
  if (others.length) throw new InputError(sharedNamespaceRefusal(namespace, others));
}
