import type { CoreV1Api, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { messageOf } from '../../errors.ts';
import type { ManifestJobStatus } from '../platform.ts';
import type { ObjectApi } from './api.ts';

const LOG_LINES = 10;

interface JobObject extends KubernetesObject {
  status?: { conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }> };
}

/**
 * The manifests' Jobs as the cluster runs them, for a bootstrap by the manifests that did not happen: the Job's
 * Complete/Failed condition (the Job controller sets one of them when it is finished: kubernetes.io, Jobs, "Job
 * termination and cleanup") and the last lines of its newest pod's log (pods carry the `job-name` label the
 * controller sets). Each read is best effort: what cannot be read is said in `detail`.
 */
export async function kubeJobStatuses(
  core: CoreV1Api,
  objects: ObjectApi,
  namespace: string,
  jobs: Array<{ name: string; applied: string }>,
): Promise<ManifestJobStatus[]> {
  return Promise.all(
    jobs.map(async ({ name, applied }): Promise<ManifestJobStatus> => {
      const status: ManifestJobStatus = {
        name: `Job ${name}`,
        state: 'running',
        detail: 'no condition yet',
        lastLog: '',
      };
      try {
        const job = await objects.read<JobObject>({
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: applied, namespace },
        });
        const done = job.status?.conditions?.find(
          (c) => (c.type === 'Failed' || c.type === 'Complete') && c.status === 'True',
        );
        if (done) {
          status.state = done.type === 'Failed' ? 'failed' : 'succeeded';
          status.detail = `${done.reason ?? done.type ?? ''}${done.message ? `: ${done.message}` : ''}`;
        }
        const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${applied}` });
        const newest = pods.items
          .slice()
          .sort(
            (a: V1Pod, b: V1Pod) =>
              new Date(b.metadata?.creationTimestamp ?? 0).getTime() -
              new Date(a.metadata?.creationTimestamp ?? 0).getTime(),
          )[0];
        const podName = newest?.metadata?.name;
        const container = newest?.spec?.containers[0]?.name;
        if (podName && container) {
          const log = await core.readNamespacedPodLog({ name: podName, namespace, container, tailLines: LOG_LINES });
          status.lastLog = `--- pod ${podName} container ${container}\n${log.trimEnd()}`;
        }
      } catch (err) {
        status.detail += ` (reading it: ${messageOf(err)})`;
      }
      return status;
    }),
  );
}
