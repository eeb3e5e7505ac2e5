import { execFile } from 'node:child_process';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { messageOf } from '../../errors.ts';
import type { EvidenceSink } from '../evidence-sink.ts';
import { apiStatus } from './api.ts';

/** Lines of each container log asked of the API server (the sink bounds the bytes as well). */
const LOG_LINES = 5000;
/** `kind export logs` gets this long (it copies journals and container logs out of every node). */
const KIND_EXPORT_TIMEOUT_MS = 120_000;

/** One line per pod: phase, readiness, node, IP, restarts, and why a container waits or last ended. */
export function podStatusLine(pod: V1Pod): string {
  const s = pod.status;
  const containers = (s?.containerStatuses ?? []).map((c) => {
    const waiting = c.state?.waiting?.reason;
    const last = c.lastState?.terminated;
    return (
      `${c.name}: ready=${String(c.ready)} restarts=${c.restartCount}${waiting ? ` waiting=${waiting}` : ''}` +
      (last ? ` last-exit=${last.exitCode}${last.reason ? `(${last.reason})` : ''}` : '')
    );
  });
  const terminating = pod.metadata?.deletionTimestamp ? ' Terminating' : '';
  return (
    `pod ${pod.metadata?.name ?? '?'} ${s?.phase ?? '?'}${terminating} uid=${pod.metadata?.uid ?? '?'} node=${pod.spec?.nodeName || '-'} ` +
    `ip=${s?.podIP || '-'}${containers.length ? ` [${containers.join('; ')}]` : ''}`
  );
}

/** The text of a log request, or why there is none (the API server answers 400 when no such container ran). */
async function podLog(
  core: CoreV1Api,
  namespace: string,
  name: string,
  container: string,
  previous: boolean,
): Promise<string | undefined> {
  return core.readNamespacedPodLog({ name, namespace, container, previous, tailLines: LOG_LINES }).then(
    (text) => text,
    (err: unknown) => (previous && apiStatus(err).code === 400 ? undefined : `(no log: ${apiStatus(err).message})\n`),
  );
}

/**
 * The namespace as the API server sees it, into `sink`: every pod's container logs (current, and previous
 * when a container restarted: the crash is in there), the namespace's events in time order, and one status line
 * per pod and per PersistentVolumeClaim.
 */
export async function collectNamespaceEvidence(core: CoreV1Api, namespace: string, sink: EvidenceSink): Promise<void> {
  let pods: V1Pod[] = [];
  try {
    pods = (await core.listNamespacedPod({ namespace })).items;
  } catch (err) {
    await sink.write('kubernetes/pods-unavailable.txt', `cannot list pods in ${namespace}: ${messageOf(err)}\n`);
  }
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    for (const c of pod.spec?.containers ?? []) {
      await sink.write(`logs/${name}.${c.name}.log`, (await podLog(core, namespace, name, c.name, false)) ?? '');
      const previous = await podLog(core, namespace, name, c.name, true);
      if (previous !== undefined) await sink.write(`logs/${name}.${c.name}.previous.log`, previous);
    }
  }
  const events = await core.listNamespacedEvent({ namespace }).then(
    (l) =>
      l.items
        .map((e) => {
          const at = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
          const when = at ? new Date(at).toISOString() : '-';
          const count = e.count !== undefined && e.count > 1 ? ` (x${e.count})` : '';
          return `${when} ${e.type ?? '-'} ${e.involvedObject.kind ?? '?'}/${e.involvedObject.name ?? '?'} ${e.reason ?? ''}: ${e.message ?? ''}${count}`;
        })
        .sort()
        .join('\n'),
    (err: unknown) => `(cannot list events: ${messageOf(err)})`,
  );
  await sink.write('kubernetes/events.txt', `${events}\n`);
  const claims = await core.listNamespacedPersistentVolumeClaim({ namespace }).then(
    (l) =>
      l.items.map(
        (c) =>
          `pvc ${c.metadata?.name ?? '?'} ${c.status?.phase ?? '?'} volume=${c.spec?.volumeName || '-'} class=${c.spec?.storageClassName ?? '-'}`,
      ),
    (err: unknown) => [`(cannot list claims: ${messageOf(err)})`],
  );
  await sink.write('kubernetes/status.txt', [...pods.map(podStatusLine), ...claims].join('\n') + '\n');
}

/** `kind export logs` into a subfolder: node journals, kubelet and container runtime logs of every node. */
export async function exportKindLogs(kindPath: string, cluster: string, sink: EvidenceSink): Promise<void> {
  const dir = await sink.folder('kind-logs');
  const why = await new Promise<string | undefined>((resolve) => {
    execFile(
      kindPath,
      ['export', 'logs', dir, '--name', cluster],
      { timeout: KIND_EXPORT_TIMEOUT_MS },
      (err, _out, stderr) =>
        resolve(
          err ? `${messageOf(err)}${stderr ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}` : undefined,
        ),
    );
  });
  if (why) await sink.write('kind-logs.error.txt', `kind export logs failed: ${why}\n`);
  await sink.bound(dir);
}
