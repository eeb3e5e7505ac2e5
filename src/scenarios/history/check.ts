import type { Dropped, KeyHistory, Op, Outcome } from './model.ts';

/**
 * The history checker: every written value classified as Jepsen's set-full checker does
 * (jepsen-io/jepsen, jepsen/src/jepsen/checker.clj, `set-full` and `set-full-element-results`), and, for list
 * keys, the anomalies a list shows besides: divergence, duplicates, reordering. Pure, and linear in the history
 * (operations plus the values the reads returned).
 *
 * For each value, as set-full does:
 * - known: the completion of its acknowledged write, or of the first read that saw it, whichever is first;
 * - last present / last absent: the latest-invoked successful read that saw it / did not see it.
 * Then:
 * - stable: seen by a read invoked after every read that missed it;
 * - stale: stable, but missed by a read that began after it was known (set-full counts these within stable,
 *   with a positive stable latency; here they are their own class);
 * - lost: acknowledged, known, and missed by a read that began after it was known and after every read that
 *   saw it: gone. Set-full also calls a value lost whose write was never acknowledged, when a read saw it and
 *   later reads did not; Redis promises nothing for such a write, so it keeps its write's class here
 *   (indeterminate or failed) and is counted apart as `unacknowledgedLost` (a read saw a state that was
 *   rolled back: what a resumed or cut-off master shows its clients before it steps down);
 * - never read: acknowledged, but no read began after it was known;
 * - indeterminate: its write's outcome is unknown (a timeout, a lost connection) and no read saw it: present
 *   or absent, either is allowed. An indeterminate write that a read saw is known from that read and classified
 *   as above: it is not lost for being indeterminate;
 * - failed: its write was refused and no read saw it (as it should be). A refused write that a read saw is
 *   classified as above and also counted as `failedSeen`.
 * Set-full orders events by their position in the history; so does this (Op.invokeSeq, Op.completeSeq).
 */

export type ValueClass = 'stable' | 'stale' | 'lost' | 'never-read' | 'indeterminate' | 'failed';
export type ListAnomaly = 'divergence' | 'duplicate' | 'reorder';
export type AnomalyKind =
  'lost' | 'unacknowledged-lost' | 'stale' | 'never-read' | 'failed-seen' | 'unexpected' | ListAnomaly;

/** One operation as the report shows it: times are ms from the origin passed to checkHistory. */
export interface OpView {
  kind: Op['kind'];
  client: string;
  /** write: the value. */
  value?: number;
  invokeMs: number;
  completeMs?: number;
  outcome: Outcome | 'pending';
  node?: string;
  error?: string;
  /** read: how many values it returned. */
  size?: number;
}

export interface Anomaly {
  kind: AnomalyKind;
  key: string;
  value?: number;
  /** The write of the value. */
  write?: OpView;
  /** The read that shows the anomaly (lost, stale: the latest read that missed it after it was known). */
  read?: OpView;
  /** lost: the last read that saw it; divergence: the read it diverges from. */
  other?: OpView;
  detail: string;
}

export interface HistoryVerdict {
  keys: number;
  writes: { attempted: number; ok: number; failed: number; indeterminate: number };
  reads: { attempted: number; ok: number; notOk: number };
  /** Every written value (of the history kept), by class. */
  values: Record<ValueClass, number>;
  /** Refused writes that a read saw. */
  failedSeen: number;
  /** Values whose write was never acknowledged that a read saw and later reads (the final one too) did not. */
  unacknowledgedLost: number;
  /** Distinct values read that no write of the history wrote, plus each key's most foreign members in a read. */
  unexpected: number;
  /**
   * List keys: reads neither a prefix of the reference read of their key (the longest before them, or the
   * last that diverged) nor extending it: one per fork of the list as clients saw it.
   */
  divergence: number;
  /** Values seen more than once in one read (counted once per value). */
  duplicates: number;
  /** Values read after a value whose write began only after theirs was acknowledged (once per value). */
  reordered: number;
  /** Keys whose last successful read did not begin after their last write completed: their end is unknown. */
  keysWithoutFinalRead: number;
  /** What the recorder's bounds dropped: values of dropped writes are not classified. */
  dropped: Dropped;
  /** The first few of each anomaly, in history order. */
  examples: Partial<Record<AnomalyKind, Anomaly[]>>;
}

export interface CheckOptions {
  /** Times in examples are ms from this (the fault); default 0 (Date.now() values). */
  origin?: number;
  dropped?: Dropped;
  /** Examples kept per anomaly kind. Default 5. */
  examples?: number;
  /** Told every classified value's class (e.g. a canary's verdict), in key order. */
  onValue?: (key: string, value: number, cls: ValueClass) => void;
}

const NONE = -1;

export function checkHistory(keys: readonly KeyHistory[], opts: CheckOptions = {}): HistoryVerdict {
  const v: HistoryVerdict = {
    keys: keys.length,
    writes: { attempted: 0, ok: 0, failed: 0, indeterminate: 0 },
    reads: { attempted: 0, ok: 0, notOk: 0 },
    values: { stable: 0, stale: 0, lost: 0, 'never-read': 0, indeterminate: 0, failed: 0 },
    failedSeen: 0,
    unacknowledgedLost: 0,
    unexpected: 0,
    divergence: 0,
    duplicates: 0,
    reordered: 0,
    keysWithoutFinalRead: 0,
    dropped: opts.dropped ?? { keys: 0, ops: 0 },
    examples: {},
  };
  const ex = new Examples(v.examples, opts.examples ?? 5, opts.origin ?? 0);
  for (const k of keys) checkKey(k, v, ex, opts.onValue);
  return v;
}

/** Keeps the first few anomalies of each kind. */
class Examples {
  constructor(
    private readonly into: HistoryVerdict['examples'],
    private readonly max: number,
    private readonly origin: number,
  ) {}

  /** Whether an example of `kind` is still wanted: callers ask first, so a full list costs no allocation. */
  wants(kind: AnomalyKind): boolean {
    return (this.into[kind]?.length ?? 0) < this.max;
  }

  add(a: Omit<Anomaly, 'write' | 'read' | 'other'>, ops: { write?: Op; read?: Op; other?: Op }): void {
    if (!this.wants(a.kind)) return;
    (this.into[a.kind] ??= []).push({
      ...a,
      ...(ops.write ? { write: this.view(ops.write) } : {}),
      ...(ops.read ? { read: this.view(ops.read) } : {}),
      ...(ops.other ? { other: this.view(ops.other) } : {}),
    });
  }

  view(op: Op): OpView {
    return {
      kind: op.kind,
      client: op.client,
      ...(op.kind === 'write' ? { value: op.value } : {}),
      invokeMs: op.invokeAt - this.origin,
      ...(op.completeAt !== undefined ? { completeMs: op.completeAt - this.origin } : {}),
      outcome: op.outcome ?? 'pending',
      ...(op.node !== undefined ? { node: op.node } : {}),
      ...(op.error !== undefined ? { error: op.error } : {}),
      ...(op.seen ? { size: op.seen.length } : {}),
    };
  }
}

function checkKey(k: KeyHistory, v: HistoryVerdict, ex: Examples, onValue: CheckOptions['onValue']): void {
  const base = k.droppedWrites;
  const writes: Op[] = [];
  const reads: Op[] = [];
  let lastWriteDone = NONE;
  for (const op of k.ops) {
    if (op.kind === 'write') {
      writes.push(op);
      v.writes.attempted++;
      const outcome = op.outcome ?? 'indeterminate';
      if (outcome === 'ok') v.writes.ok++;
      else if (outcome === 'fail') v.writes.failed++;
      else v.writes.indeterminate++;
      // A write still pending is indeterminate whatever is read later: only completed ones need a read after.
      lastWriteDone = Math.max(lastWriteDone, op.completeSeq ?? op.invokeSeq);
    } else {
      v.reads.attempted++;
      if (op.outcome === 'ok' && op.seen) {
        v.reads.ok++;
        reads.push(op);
      } else v.reads.notOk++;
    }
  }
  const last = reads.at(-1);
  if (writes.length > 0 && (!last || last.invokeSeq < lastWriteDone)) v.keysWithoutFinalRead++;

  const n = writes.length;
  const m = reads.length;
  // Reads are in invocation order (the ring's order). Scanning them from the last, a value's trailing run of
  // reads that saw it ends at its last absent read, and the first read that sees it is its last present read:
  // both in one pass over what the reads returned.
  const trail = new Int32Array(n);
  const lastPresent = new Int32Array(n).fill(NONE);
  const firstSeenDone = new Float64Array(n).fill(Infinity);
  const stamp = new Int32Array(n).fill(NONE);
  const flagged = new Uint8Array(n); // bit 1: duplicate counted, bit 2: reorder counted
  const unexpected = new Set<number>();
  let foreign = 0; // the most foreign members one read returned (they cannot be told apart across reads)
  for (let j = m - 1; j >= 0; j--) {
    const r = reads[j]!;
    const seen = r.seen!;
    const unbroken = m - 1 - j;
    for (const value of seen) {
      const i = value - base;
      if (i < 0) continue; // written by a dropped op: not classified
      if (i >= n) {
        if (!unexpected.has(value)) {
          unexpected.add(value);
          ex.add({ kind: 'unexpected', key: k.key, value, detail: 'read a value no write wrote' }, { read: r });
        }
        continue;
      }
      if (stamp[i] === j) {
        if (!(flagged[i]! & 1)) {
          flagged[i] = flagged[i]! | 1;
          v.duplicates++;
          if (ex.wants('duplicate'))
            ex.add(
              { kind: 'duplicate', key: k.key, value, detail: `value ${value} read twice in one read` },
              { write: writes[i]!, read: r },
            );
        }
        continue;
      }
      stamp[i] = j;
      if (lastPresent[i] === NONE) lastPresent[i] = j;
      if (trail[i] === unbroken) trail[i] = unbroken + 1;
      if (r.completeSeq! < firstSeenDone[i]!) firstSeenDone[i] = r.completeSeq!;
    }
    if (r.foreign && r.foreign > foreign) {
      foreign = r.foreign;
      ex.add({ kind: 'unexpected', key: k.key, detail: `${r.foreign} member(s) not of this history` }, { read: r });
    }
  }
  v.unexpected += unexpected.size + foreign;

  for (let i = 0; i < n; i++) {
    const w = writes[i]!;
    const outcome = w.outcome ?? 'indeterminate';
    const known = Math.min(outcome === 'ok' ? w.completeSeq! : Infinity, firstSeenDone[i]!);
    const present = lastPresent[i]!;
    const absent = m - 1 - trail[i]!;
    const presentSeq = present === NONE ? NONE : reads[present]!.invokeSeq;
    const absentRead = absent === NONE ? undefined : reads[absent];
    const absentSeq = absentRead ? absentRead.invokeSeq : NONE;
    const value = i + base;
    let cls: ValueClass;
    if (present !== NONE && absentSeq < presentSeq) cls = absentSeq > known ? 'stale' : 'stable';
    else if (known !== Infinity && absentSeq > known) {
      cls = outcome === 'ok' ? 'lost' : outcome === 'fail' ? 'failed' : 'indeterminate';
      if (outcome !== 'ok') {
        v.unacknowledgedLost++;
        if (ex.wants('unacknowledged-lost'))
          ex.add(
            {
              kind: 'unacknowledged-lost',
              key: k.key,
              value,
              detail: `value ${value} (write ${outcome}) seen, then missing from every later read`,
            },
            { write: w, read: absentRead!, other: reads[present]! },
          );
      }
    } else if (known !== Infinity && outcome === 'ok') cls = 'never-read';
    else cls = outcome === 'fail' ? 'failed' : 'indeterminate';
    v.values[cls]++;
    onValue?.(k.key, value, cls);
    if (cls === 'lost' && ex.wants('lost'))
      ex.add(
        {
          kind: 'lost',
          key: k.key,
          value,
          detail:
            present === NONE
              ? `value ${value} acknowledged, then missing from every read that began after`
              : `value ${value} seen, then missing from every later read`,
        },
        { write: w, read: absentRead!, ...(present !== NONE ? { other: reads[present]! } : {}) },
      );
    else if (cls === 'stale' && ex.wants('stale'))
      ex.add(
        {
          kind: 'stale',
          key: k.key,
          value,
          detail: `value ${value} missing from a read after it was known, seen later`,
        },
        { write: w, read: absentRead!, other: reads[present]! },
      );
    else if (cls === 'never-read' && ex.wants('never-read'))
      ex.add(
        { kind: 'never-read', key: k.key, value, detail: `no read began after value ${value} was known` },
        { write: w },
      );
    if (outcome === 'fail' && present !== NONE) {
      v.failedSeen++;
      ex.add(
        { kind: 'failed-seen', key: k.key, value, detail: `write of ${value} was refused, yet a read saw it` },
        { write: w, read: reads[present]! },
      );
    }
  }

  if (k.kind === 'list') checkList(k, reads, writes, base, flagged, v, ex);
}

/**
 * Divergence and reordering of a list key. Reads that agree are prefixes of one another, a chain: each read is
 * compared with the longest before it only (a read comparable with it is comparable with every read of the
 * chain); after a fork the read that diverged becomes the reference (the newer view), so a fork counts once. Reordering: at each position, the latest invocation of a value before it; a value whose write was
 * acknowledged before that invocation sits after a write that began later than it ended.
 */
function checkList(
  k: KeyHistory,
  reads: readonly Op[],
  writes: readonly Op[],
  base: number,
  flagged: Uint8Array,
  v: HistoryVerdict,
  ex: Examples,
): void {
  let longest: Op | undefined;
  for (const r of reads) {
    const seen = r.seen!;
    if (longest) {
      const ref = longest.seen!;
      const common = Math.min(ref.length, seen.length);
      let p = 0;
      while (p < common && ref[p] === seen[p]) p++;
      if (p < common) {
        // Counted once per fork: the newer read becomes the reference, so reads agreeing with it do not count.
        v.divergence++;
        if (ex.wants('divergence'))
          ex.add(
            {
              kind: 'divergence',
              key: k.key,
              detail: `reads disagree at position ${p}: ${seen[p]!} where an earlier read had ${ref[p]!} (neither is a prefix of the other)`,
            },
            { read: r, other: longest },
          );
        longest = r;
      } else if (seen.length > ref.length) longest = r;
    } else longest = r;

    let maxInvoke = NONE;
    let maxInvokeValue = NONE;
    for (const value of seen) {
      const i = value - base;
      if (i < 0 || i >= writes.length) continue;
      const w = writes[i]!;
      if (w.outcome === 'ok' && w.completeSeq! < maxInvoke && !(flagged[i]! & 2)) {
        flagged[i] = flagged[i]! | 2;
        v.reordered++;
        if (ex.wants('reorder'))
          ex.add(
            {
              kind: 'reorder',
              key: k.key,
              value,
              detail: `value ${value} (acknowledged) sits after ${maxInvokeValue}, whose write began after it was acknowledged`,
            },
            { write: w, read: r, other: writes[maxInvokeValue - base]! },
          );
      }
      if (w.invokeSeq > maxInvoke) {
        maxInvoke = w.invokeSeq;
        maxInvokeValue = value;
      }
    }
  }
}

/** Several verdicts as one (writers per shard): counts summed, the first examples of each kind kept. */
export function mergeVerdicts(verdicts: readonly HistoryVerdict[], examples = 5): HistoryVerdict {
  const out = checkHistory([]);
  const sum = <K extends string>(into: Record<K, number>, from: Record<K, number>): void => {
    for (const k of Object.keys(from) as K[]) into[k] += from[k];
  };
  for (const v of verdicts) {
    out.keys += v.keys;
    sum(out.writes, v.writes);
    sum(out.reads, v.reads);
    sum(out.values, v.values);
    sum<keyof Dropped>(out.dropped, v.dropped);
    out.failedSeen += v.failedSeen;
    out.unacknowledgedLost += v.unacknowledgedLost;
    out.unexpected += v.unexpected;
    out.divergence += v.divergence;
    out.duplicates += v.duplicates;
    out.reordered += v.reordered;
    out.keysWithoutFinalRead += v.keysWithoutFinalRead;
    for (const [kind, list] of Object.entries(v.examples) as Array<[AnomalyKind, Anomaly[]]>)
      out.examples[kind] = [...(out.examples[kind] ?? []), ...list].slice(0, examples);
  }
  return out;
}
