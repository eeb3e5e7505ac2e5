/**
 * The history checker's time on synthetic histories shaped like the writer's (lists of 1000 values, eight
 * writes in flight, a read of the list every 100 writes, a final read of every key; a few writes indeterminate,
 * a few values lost), at 250k, 500k and 1M operations: the target is 1M in at most 2 s, and time linear in the
 * size (the ms per million operations stays flat). Median of 7 runs per size, after a warm-up, with a collection before each.
 *   node --import tsx bench/history-check.ts [sizes...]
 */
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { median } from './stats.ts';
import { checkHistory } from '../src/scenarios/history/check.ts';
import type { KeyHistory, Op } from '../src/scenarios/history/model.ts';
import { VALUES_PER_KEY } from '../src/scenarios/writer.ts';

const IN_FLIGHT = 8;
const READ_EVERY = 100;
const RUNS = 7;

// A collection between runs, so that one run's garbage is not collected in the next one's time.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A writer-shaped history of about `ops` operations. */
export function syntheticHistory(ops: number): KeyHistory[] {
  const perKey = VALUES_PER_KEY + VALUES_PER_KEY / READ_EVERY + 1;
  const keys: KeyHistory[] = [];
  let seq = 0;
  let t = 0;
  for (let k = 0; keys.length * perKey < ops; k++) {
    const key = `{bench}:h:${k}`;
    const list: Op[] = [];
    const present: number[] = [];
    const inFlight: Array<[Op, boolean]> = [];
    const settle = (): void => {
      const [w, kept] = inFlight.shift()!;
      w.completeSeq = seq++;
      w.completeAt = t++;
      // Every 97th write times out (indeterminate), every 499th acknowledged value is later lost.
      w.outcome = w.value % 97 === 96 ? 'indeterminate' : 'ok';
      if (kept) present.push(w.value);
    };
    const read = (): void => {
      const r: Op = { kind: 'read', client: 'reader', value: -1, invokeSeq: seq++, invokeAt: t++ };
      r.seen = Uint32Array.from(present);
      r.completeSeq = seq++;
      r.completeAt = t++;
      r.outcome = 'ok';
      list.push(r);
    };
    for (let v = 0; v < VALUES_PER_KEY; v++) {
      const w: Op = { kind: 'write', client: 'writer', value: v, invokeSeq: seq++, invokeAt: t++ };
      list.push(w);
      inFlight.push([w, v % 499 !== 498]);
      if (inFlight.length >= IN_FLIGHT) settle();
      if (v % READ_EVERY === READ_EVERY - 1) read();
    }
    while (inFlight.length > 0) settle();
    // The lost values were there for the periodic reads but are gone at the end.
    present.splice(0, present.length, ...present.filter((x) => x % 499 !== 498));
    read();
    keys.push({ key, kind: 'list', ops: list, droppedWrites: 0, droppedOps: 0 });
  }
  return keys;
}

export interface CheckerBenchRow {
  ops: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  msPerMillionOps: number;
}

export function benchHistoryCheck(sizes = [250_000, 500_000, 1_000_000]): CheckerBenchRow[] {
  const rows: CheckerBenchRow[] = [];
  for (const size of sizes) {
    const history = syntheticHistory(size);
    const ops = history.reduce((n, k) => n + k.ops.length, 0);
    const times: number[] = [];
    checkHistory(history); // warm-up: compiled code, not the first run's JIT, is what is timed
    for (let i = 0; i < RUNS; i++) {
      gc();
      const started = performance.now();
      const v = checkHistory(history);
      times.push(performance.now() - started);
      if (v.values.lost === 0 || v.divergence !== 0) throw new Error('the synthetic history did not check as built');
    }
    const medianMs = median(times);
    rows.push({
      ops,
      medianMs: Math.round(medianMs),
      minMs: Math.round(Math.min(...times)),
      maxMs: Math.round(Math.max(...times)),
      msPerMillionOps: Math.round((medianMs * 1e6) / ops),
    });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv.slice(2).map(Number);
  const rows = benchHistoryCheck(sizes.length > 0 ? sizes : undefined);
  console.log(`history checker, median of ${RUNS} runs (target: 1M operations in <= 2000 ms, linear):`);
  for (const r of rows)
    console.log(
      `  ${String(r.ops).padStart(8)} ops: ${r.medianMs} ms (${r.minMs}-${r.maxMs}), ${r.msPerMillionOps} ms per million`,
    );
  const last = rows.at(-1);
  if (last && last.ops >= 1_000_000 && last.medianMs > 2000) {
    console.log(`over the 2 s target at ${last.ops} operations`);
    process.exit(1);
  }
}
