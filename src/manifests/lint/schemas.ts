import { validate as appsV1DaemonSet } from 'kubernetes-models/_schemas/IoK8sApiAppsV1DaemonSet';
import { validate as appsV1Deployment } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment';
import { validate as appsV1ReplicaSet } from 'kubernetes-models/_schemas/IoK8sApiAppsV1ReplicaSet';
import { validate as appsV1StatefulSet } from 'kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet';
import { validate as batchV1CronJob } from 'kubernetes-models/_schemas/IoK8sApiBatchV1CronJob';
import { validate as batchV1Job } from 'kubernetes-models/_schemas/IoK8sApiBatchV1Job';
import { validate as coreV1ConfigMap } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap';
import { validate as coreV1LimitRange } from 'kubernetes-models/_schemas/IoK8sApiCoreV1LimitRange';
import { validate as coreV1Namespace } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Namespace';
import { validate as coreV1PersistentVolume } from 'kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolume';
import { validate as coreV1PersistentVolumeClaim } from 'kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolumeClaim';
import { validate as coreV1Pod } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Pod';
import { validate as coreV1ResourceQuota } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ResourceQuota';
import { validate as coreV1Secret } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Secret';
import { validate as coreV1Service } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Service';
import { validate as coreV1ServiceAccount } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount';
import { validate as networkingV1Ingress } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1Ingress';
import { validate as networkingV1NetworkPolicy } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy';
import { validate as policyV1PodDisruptionBudget } from 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget';
import { validate as rbacV1ClusterRole } from 'kubernetes-models/_schemas/IoK8sApiRbacV1ClusterRole';
import { validate as rbacV1ClusterRoleBinding } from 'kubernetes-models/_schemas/IoK8sApiRbacV1ClusterRoleBinding';
import { validate as rbacV1Role } from 'kubernetes-models/_schemas/IoK8sApiRbacV1Role';
import { validate as rbacV1RoleBinding } from 'kubernetes-models/_schemas/IoK8sApiRbacV1RoleBinding';
import { validate as storageV1StorageClass } from 'kubernetes-models/_schemas/IoK8sApiStorageV1StorageClass';

/** One error of a compiled kubernetes-models (ajv) validator. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

interface Validator {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}

// OpenAPI schemas from kubernetes-models 5.x: generated from Kubernetes v1.36 (plus the schemas of APIs removed
// since, merged in from older releases). Only the kinds a Redis Cluster deployment plausibly uses are listed:
// importing the whole package costs over a second, these cost under 0.1 s. Other kinds are not schema-checked.
const VALIDATORS: Record<string, Validator> = {
  'v1 ConfigMap': coreV1ConfigMap,
  'v1 LimitRange': coreV1LimitRange,
  'v1 Namespace': coreV1Namespace,
  'v1 PersistentVolume': coreV1PersistentVolume,
  'v1 PersistentVolumeClaim': coreV1PersistentVolumeClaim,
  'v1 Pod': coreV1Pod,
  'v1 ResourceQuota': coreV1ResourceQuota,
  'v1 Secret': coreV1Secret,
  'v1 Service': coreV1Service,
  'v1 ServiceAccount': coreV1ServiceAccount,
  'apps/v1 DaemonSet': appsV1DaemonSet,
  'apps/v1 Deployment': appsV1Deployment,
  'apps/v1 ReplicaSet': appsV1ReplicaSet,
  'apps/v1 StatefulSet': appsV1StatefulSet,
  'batch/v1 CronJob': batchV1CronJob,
  'batch/v1 Job': batchV1Job,
  'networking.k8s.io/v1 Ingress': networkingV1Ingress,
  'networking.k8s.io/v1 NetworkPolicy': networkingV1NetworkPolicy,
  'policy/v1 PodDisruptionBudget': policyV1PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1 ClusterRole': rbacV1ClusterRole,
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': rbacV1ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1 Role': rbacV1Role,
  'rbac.authorization.k8s.io/v1 RoleBinding': rbacV1RoleBinding,
  'storage.k8s.io/v1 StorageClass': storageV1StorageClass,
};

/** The schema validator for `apiVersion kind`, if the linter carries one. */
export function validatorFor(apiVersion: string, kind: string): Validator | undefined {
  return VALIDATORS[`${apiVersion} ${kind}`];
}

/** The apiVersions this linter knows `kind` under (empty for kinds it has no schema of). */
export function knownApiVersionsOf(kind: string): string[] {
  return Object.keys(VALIDATORS)
    .filter((key) => key.endsWith(` ${kind}`))
    .map((key) => key.slice(0, key.indexOf(' ')));
}
