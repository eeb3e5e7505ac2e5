/**
 * The history of every operation a scenario's clients ran: each write and read with its invocation and
 * completion (time and position in the history), its outcome, the node that answered and, for a read, the
 * values it saw. The checker (check.ts) classifies every written value from it as Jepsen's set-full checker
 * does.
 *
 * How a scenario records and asks for a verdict:
 *
 *   const history = new HistoryRecorder();                 // one per scenario run, shared by all its clients
 *   history.declare(key, 'list');                          // 'list' (RPUSH/LRANGE) or 'set' (SADD/SMEMBERS)
 *   await recordWrite(history, conn, key, 'list', 'minority', nodeOf);  // record.ts: RPUSH a new value, recorded
 *   await recordRead(history, conn, key, 'list', 'reader', nodeOf);     // LRANGE, recorded
 *   // or by hand: const w = history.invokeWrite(key, 'minority'); send String(w.value);
 *   //             history.complete(w, 'ok' | outcomeOfError(err), node, error)
 *   await finalRead(history, conn, nodeOf);                 // every key once more, after the fault has healed
 *   const verdict = checkHistory(history.keys(), { origin, dropped: history.dropped });  // check.ts
 *
 * Values are integers allotted per key at invocation, stored in Redis as their decimal text, so that a read is
 * held as a Uint32Array and a value names its write without a lookup. Memory is bounded: each key keeps a ring
 * of its last MAX_OPS_PER_KEY operations, and the recorder its last MAX_KEYS keys (a writer moves to a new key
 * every VALUES_PER_KEY values, see writer.ts); what falls out is counted in `dropped`, never silently.
 */

export type OpKind = 'write' | 'read';

/**
 * ok: acknowledged. fail: refused, certainly not applied (an error reply: MOVED, CLUSTERDOWN, READONLY...).
 * indeterminate: may or may not have been applied (a timeout, a connection lost before the reply, a write that
 * its master took but WAIT did not see replicated). An operation still pending when the history is checked
 * counts as indeterminate.
 */
export type Outcome = 'ok' | 'fail' | 'indeterminate';

/** list: values appended (RPUSH), read in order (LRANGE 0 -1). set: values added (SADD), read unordered (SMEMBERS). */
export type KeyKind = 'list' | 'set';

export interface Op {
  kind: OpKind;
  /** Who ran it ('writer', 'reader', 'canary', 'minority'...): a name, for the report. */
  client: string;
  /** write: the value written. read: -1. */
  value: number;
  /**
   * Position of the invocation among every invocation and completion recorded (Jepsen's :index): orders
   * events exactly where their ms times tie. A read "began after" a write's acknowledgement when its invokeSeq
   * is greater than the write's completeSeq.
   */
  invokeSeq: number;
  /** Date.now() at invocation. */
  invokeAt: number;
  /** Unset while pending. */
  completeSeq?: number;
  completeAt?: number;
  outcome?: Outcome;
  /** The node that answered (address, or NodeID where known); for a cluster client, the node it sent to. */
  node?: string;
  error?: string;
  /** read, ok: the values seen, in the key's order (a list) or as returned (a set). */
  seen?: Uint32Array;
  /** read, ok: members that are not values of this history (another run's, or garbage). */
  foreign?: number;
}

export interface KeyHistory {
  key: string;
  kind: KeyKind;
  /** Operations on the key in invocation order (the ring's content, oldest first). */
  ops: readonly Op[];
  /**
   * Writes dropped from the ring: exactly the values 0..droppedWrites-1 (values are allotted in invocation
   * order, and the ring drops the oldest first). The checker ignores those values.
   */
  droppedWrites: number;
  droppedOps: number;
}

/** Operations a key keeps (the oldest dropped first). */
export const MAX_OPS_PER_KEY = 4096;
/** Keys the recorder keeps (the oldest key dropped whole). */
export const MAX_KEYS = 256;

/** A fixed-capacity ring of one key's operations. */
class KeyRing {
  private readonly buf: Op[] = [];
  private start = 0;
  droppedOps = 0;
  droppedWrites = 0;
  nextValue = 0;

  constructor(
    readonly key: string,
    readonly kind: KeyKind,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.buf.length;
  }

  push(op: Op): void {
    if (this.buf.length < this.capacity) {
      this.buf.push(op);
      return;
    }
    const old = this.buf[this.start]!;
    this.droppedOps++;
    if (old.kind === 'write') this.droppedWrites++;
    this.buf[this.start] = op;
    this.start = (this.start + 1) % this.capacity;
  }

  view(): KeyHistory {
    return {
      key: this.key,
      kind: this.kind,
      ops: this.start === 0 ? this.buf.slice() : [...this.buf.slice(this.start), ...this.buf.slice(0, this.start)],
      droppedWrites: this.droppedWrites,
      droppedOps: this.droppedOps,
    };
  }
}

export interface RecorderLimits {
  maxOpsPerKey?: number;
  maxKeys?: number;
}

/** What fell out of the recorder's bounds: reported, so a truncated history is never mistaken for a full one. */
export interface Dropped {
  keys: number;
  ops: number;
}

/** Every write recorded, dropped or not, by outcome (pending ones count as indeterminate, as in the checker). */
export interface WriteTotals {
  attempted: number;
  ok: number;
  failed: number;
  indeterminate: number;
}

/**
 * Records operations as clients invoke and complete them. Cheap per operation (one object, no closure), bounded
 * in memory (see MAX_OPS_PER_KEY, MAX_KEYS). Not a checker: see check.ts.
 */
export class HistoryRecorder {
  private readonly rings = new Map<string, KeyRing>();
  private seq = 0;
  private droppedKeys = 0;
  private droppedKeyOps = 0;
  private writesInvoked = 0;
  private writesOk = 0;
  private writesFailed = 0;
  private readonly maxOpsPerKey: number;
  private readonly maxKeys: number;

  constructor(limits: RecorderLimits = {}) {
    this.maxOpsPerKey = limits.maxOpsPerKey ?? MAX_OPS_PER_KEY;
    this.maxKeys = limits.maxKeys ?? MAX_KEYS;
    if (!(this.maxOpsPerKey >= 1 && this.maxKeys >= 1)) throw new Error('history limits must be at least 1');
  }

  /** Declares a key before its first operation; declaring it again with another kind is a programming error. */
  declare(key: string, kind: KeyKind): void {
    const ring = this.rings.get(key);
    if (ring) {
      if (ring.kind !== kind) throw new Error(`history key ${key} declared as ${ring.kind}, then as ${kind}`);
      return;
    }
    this.rings.set(key, new KeyRing(key, kind, this.maxOpsPerKey));
    if (this.rings.size > this.maxKeys) {
      const [oldest, old] = this.rings.entries().next().value!;
      this.rings.delete(oldest);
      this.droppedKeys++;
      this.droppedKeyOps += old.size + old.droppedOps;
    }
  }

  /** A write of a new value (op.value, unique in the key): send String(op.value). */
  invokeWrite(key: string, client: string): Op {
    const ring = this.ring(key);
    const op: Op = { kind: 'write', client, value: ring.nextValue++, invokeSeq: this.seq++, invokeAt: Date.now() };
    ring.push(op);
    this.writesInvoked++;
    return op;
  }

  invokeRead(key: string, client: string): Op {
    const op: Op = { kind: 'read', client, value: -1, invokeSeq: this.seq++, invokeAt: Date.now() };
    this.ring(key).push(op);
    return op;
  }

  /** Completes a write, or a read that got no values (fail/indeterminate). The first completion wins. */
  complete(op: Op, outcome: Outcome, node?: string, error?: string): void {
    if (op.outcome !== undefined) return;
    op.completeSeq = this.seq++;
    op.completeAt = Date.now();
    op.outcome = outcome;
    if (op.kind === 'write' && outcome === 'ok') this.writesOk++;
    else if (op.kind === 'write' && outcome === 'fail') this.writesFailed++;
    if (node !== undefined) op.node = node;
    if (error !== undefined) op.error = error;
  }

  /** Completes a read with what it returned (list elements or set members, as Redis sent them). */
  completeRead(op: Op, members: readonly string[], node?: string): void {
    const seen = new Uint32Array(members.length);
    let n = 0;
    let foreign = 0;
    for (const m of members) {
      const v = parseValue(m);
      if (v === undefined) foreign++;
      else seen[n++] = v;
    }
    op.seen = n === seen.length ? seen : seen.slice(0, n);
    if (foreign > 0) op.foreign = foreign;
    this.complete(op, 'ok', node);
  }

  /** Every key's history, oldest key first. */
  keys(): KeyHistory[] {
    return [...this.rings.values()].map((r) => r.view());
  }

  /** Every write so far, dropped from the rings or not (the checker's counts cover only those kept). */
  get writeTotals(): WriteTotals {
    return {
      attempted: this.writesInvoked,
      ok: this.writesOk,
      failed: this.writesFailed,
      indeterminate: this.writesInvoked - this.writesOk - this.writesFailed,
    };
  }

  get dropped(): Dropped {
    let ops = this.droppedKeyOps;
    for (const r of this.rings.values()) ops += r.droppedOps;
    return { keys: this.droppedKeys, ops };
  }

  private ring(key: string): KeyRing {
    const ring = this.rings.get(key);
    if (!ring) throw new Error(`history key ${key} used before it was declared`);
    return ring;
  }
}

const DECIMAL = /^(?:0|[1-9][0-9]{0,9})$/;

/** A value of this history: the decimal text of an integer below 2^32; anything else is foreign. */
function parseValue(member: string): number | undefined {
  if (!DECIMAL.test(member)) return undefined;
  const v = Number(member);
  return v <= 0xffffffff ? v : undefined;
}

/**
 * The outcome of an operation that threw. An error reply from Redis (MOVED, CLUSTERDOWN, READONLY, NOREPLICAS...)
 * means the command was not applied; so does a client that refused to send (no connection, no slot map). Any
 * other error (a timeout, a connection lost after sending) leaves it unknown: indeterminate.
 */
export function outcomeOfError(err: unknown): Outcome {
  if (!(err instanceof Error)) return 'indeterminate';
  if (err.name === 'ReplyError') return 'fail';
  if (NOT_SENT.some((m) => err.message.includes(m))) return 'fail';
  return 'indeterminate';
}

/** ioredis' messages for a command it never sent (no offline queue and no connection, or no slot map); "Connection is closed." is not one: ioredis also fails the commands in flight with it. */
const NOT_SENT = ["Stream isn't writeable", 'Failed to refresh slots cache'];
