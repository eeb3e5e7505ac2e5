import { messageOf } from '../errors.ts';
import { EvidenceSink } from '../platform/evidence-sink.ts';
import type { Platform } from '../platform/platform.ts';
import { withNode } from '../redis/connect.ts';
import type { Log } from '../util/log.ts';

/** One Redis node gets this long to answer (connect and each command). */
const NODE_TIMEOUT_MS = 3000;

/**
 * What a failed or broken run leaves for the user to find out why without a second run: each Redis node's
 * CLUSTER NODES and CLUSTER INFO as it is now, then whatever the platform can add (pod logs of every container
 * or incarnation, events, pod and claim status, kind's own logs). Never throws: what cannot be collected is
 * written down as such. Returns the files written, relative to the report dir.
 */
export async function collectEvidence(
  platform: Platform,
  port: number,
  reportDir: string,
  log: Log,
): Promise<string[]> {
  const sink = new EvidenceSink(reportDir);
  try {
    const pods = await platform.listPods().catch((err: unknown) => {
      log.warn(`evidence: cannot list the pods: ${messageOf(err)}`);
      return [];
    });
    // All pods at once: an unreachable node costs its timeout once, not once per pod.
    await Promise.all(
      pods.map(async (pod) => {
        const address = { host: pod.ip, port };
        for (const [command, file] of [
          ['NODES', 'cluster-nodes'],
          ['INFO', 'cluster-info'],
        ] as const) {
          const text = pod.ip
            ? await withNode(
                (a) => platform.reach(a),
                address,
                (r) => r.call('CLUSTER', command) as Promise<string>,
                {
                  readyTimeoutMs: NODE_TIMEOUT_MS,
                  commandTimeoutMs: NODE_TIMEOUT_MS,
                },
              ).catch((err: unknown) => `(no answer: ${messageOf(err)})\n`)
            : '(the pod has no IP: not running)\n';
          await sink.write(`redis/${pod.name}.${file}.txt`, text);
        }
      }),
    );
    await platform.collectEvidence?.(sink);
  } catch (err) {
    log.warn(`evidence: ${messageOf(err)}`);
  }
  if (sink.files.length) log.info(`evidence: ${sink.files.length} files in ${sink.dir}`);
  return [...sink.files].sort();
}
