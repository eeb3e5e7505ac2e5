/**
 * The writer's own ceiling: acknowledged writes per second it sustains against one local master owning every
 * slot (127.0.79.1), at increasing target rates, 3 s each. Where "acknowledged/s" stops following the target,
 * the writer (or the client) is the limit, not Redis' failover.
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/writer.ts
 */
import { pathToFileURL } from 'node:url';
import { infoFields, withNode } from '../src/redis/connect.ts';
import { silentLog } from '../src/util/log.ts';
import { sleep, waitFor } from '../src/util/wait.ts';
import { startWriter } from '../src/scenarios/writer.ts';
import { identityReach, startRedis, stopRedis } from '../test/support/redis-processes.ts';

export interface WriterBenchRow {
  targetPerSecond: number;
  attemptedPerSecond: number;
  acknowledgedPerSecond: number;
  failed: number;
  /** Median send-to-ack time, ms. */
  medianAckMs: number;
}

const SECONDS = 3;

export async function benchWriter(rates = [1000, 10_000, 50_000, 100_000, 200_000]): Promise<WriterBenchRow[]> {
  const node = await startRedis('127.0.79.1');
  const rows: WriterBenchRow[] = [];
  try {
    await withNode(identityReach, node.address, (r) => r.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383'));
    await waitFor(
      'cluster_state:ok',
      async () => {
        const state = infoFields(
          String(await withNode(identityReach, node.address, (r) => r.call('CLUSTER', 'INFO'))),
        ).cluster_state;
        return state === 'ok' ? { done: true, value: 0 } : { done: false, seen: state ?? '?' };
      },
      { timeoutMs: 10_000 },
    );
    for (const rate of rates) {
      const writer = await startWriter({
        reach: identityReach,
        seeds: [node.address],
        tag: `{bench-${rate}}`,
        ratePerSecond: rate,
        waitReplicas: false,
        log: silentLog,
      });
      try {
        const started = Date.now();
        await sleep(SECONDS * 1000);
        // A saturated event loop overshoots the sleep: rates are over the time that really passed.
        const seconds = (Date.now() - started) / 1000;
        await writer.stop();
        // Counts from the writer's counters (the history keeps only its last MAX_KEYS keys at these rates);
        // latencies from the writes the history kept.
        const { acknowledged, notAcknowledged } = writer.progress();
        const acks = writer.history
          .keys()
          .flatMap((k) => k.ops.filter((op) => op.kind === 'write' && op.outcome === 'ok'))
          .map((op) => op.completeAt! - op.invokeAt)
          .sort((a, b) => a - b);
        rows.push({
          targetPerSecond: rate,
          attemptedPerSecond: Math.round((acknowledged + notAcknowledged) / seconds),
          acknowledgedPerSecond: Math.round(acknowledged / seconds),
          failed: notAcknowledged,
          medianAckMs: acks[Math.floor(acks.length / 2)] ?? NaN,
        });
      } finally {
        writer.close();
      }
    }
  } finally {
    await stopRedis(node);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(`writer against one local master, ${SECONDS} s per rate`);
  for (const r of await benchWriter()) {
    console.log(
      `  target ${String(r.targetPerSecond).padStart(6)}/s: sent ${String(r.attemptedPerSecond).padStart(6)}/s, acknowledged ${String(r.acknowledgedPerSecond).padStart(6)}/s, failed ${r.failed}, median ack ${r.medianAckMs} ms`,
    );
  }
}
