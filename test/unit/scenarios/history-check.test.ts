/**
 * The history checker on hand-written histories: one per class of set-full (stable, stale, lost, never read,
 * indeterminate, failed) and per list anomaly, and the cases that must not be flagged. Histories are built
 * through the recorder, in the order the events happen: that order is what the checker judges.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HistoryRecorder, outcomeOfError, type KeyKind, type Op } from '../../../src/scenarios/history/model.ts';
import { checkHistory, mergeVerdicts } from '../../../src/scenarios/history/check.ts';

const K = 'k';

function recorder(kind: KeyKind = 'set'): HistoryRecorder {
  const h = new HistoryRecorder();
  h.declare(K, kind);
  return h;
}

/** A write invoked and completed at once. */
function write(h: HistoryRecorder, outcome: 'ok' | 'fail' | 'indeterminate' = 'ok'): Op {
  const w = h.invokeWrite(K, 'writer');
  h.complete(w, outcome, '127.0.0.1:6379');
  return w;
}

function read(h: HistoryRecorder, values: number[]): Op {
  const r = h.invokeRead(K, 'reader');
  h.completeRead(r, values.map(String), '127.0.0.1:6379');
  return r;
}

test('stable: acknowledged, then seen by every read', () => {
  const h = recorder();
  write(h);
  read(h, [0]);
  read(h, [0]);
  const v = checkHistory(h.keys());
  assert.equal(v.values, { stable: 1, stale: 0, lost: 0, 'never-read': 0, indeterminate: 0, failed: 0 });
  assert.is(v.keysWithoutFinalRead, 0);
  assert.equal(v.examples, {});
});

test('lost: acknowledged, then missing from every read that began after (with the operations named)', () => {
  const h = recorder();
  write(h);
  write(h);
  read(h, [1]);
  const v = checkHistory(h.keys(), { origin: 0 });
  assert.is(v.values.lost, 1);
  assert.is(v.values.stable, 1);
  const [lost] = v.examples.lost!;
  assert.is(lost!.value, 0);
  assert.is(lost!.write!.outcome, 'ok');
  assert.is(lost!.write!.node, '127.0.0.1:6379');
  assert.is(lost!.read!.kind, 'read');
  assert.is(lost!.read!.size, 1);
});

test('lost: seen, then missing from every later read', () => {
  const h = recorder();
  write(h);
  read(h, [0]);
  read(h, []);
  const v = checkHistory(h.keys());
  assert.is(v.values.lost, 1);
  assert.match(v.examples.lost![0]!.detail, 'seen, then missing');
  assert.ok(v.examples.lost![0]!.other);
});

test('stale: missing from a read that began after the acknowledgement, present later', () => {
  const h = recorder();
  write(h);
  read(h, []);
  read(h, [0]);
  const v = checkHistory(h.keys());
  assert.is(v.values.stale, 1);
  assert.is(v.values.lost, 0);
  assert.is(v.examples.stale![0]!.value, 0);
});

test('not stale: a read concurrent with the write (invoked before its ack) may miss it', () => {
  const h = recorder();
  const w = h.invokeWrite(K, 'writer');
  const r = h.invokeRead(K, 'reader');
  h.complete(w, 'ok');
  h.completeRead(r, []);
  read(h, [0]);
  assert.is(checkHistory(h.keys()).values.stable, 1);
});

test('not lost: a read concurrent with the write misses it and no later read comes: never read', () => {
  const h = recorder();
  const w = h.invokeWrite(K, 'writer');
  const r = h.invokeRead(K, 'reader');
  h.complete(w, 'ok');
  h.completeRead(r, []);
  const v = checkHistory(h.keys());
  assert.is(v.values['never-read'], 1);
  assert.is(v.values.lost, 0);
  assert.is(v.keysWithoutFinalRead, 1);
});

test('never read: acknowledged after the last read began', () => {
  const h = recorder();
  read(h, []);
  write(h);
  const v = checkHistory(h.keys());
  assert.is(v.values['never-read'], 1);
  assert.is(v.examples['never-read']![0]!.value, 0);
});

test('NOT flagged: an indeterminate write that later appears is stable, not lost', () => {
  const h = recorder();
  write(h, 'indeterminate');
  read(h, []); // missed it while its fate was unknown
  read(h, [0]);
  const v = checkHistory(h.keys());
  assert.is(v.values.stable, 1);
  assert.is(v.values.lost + v.values.stale + v.values.indeterminate, 0);
  assert.equal(v.examples, {});
});

test('not lost: an indeterminate write seen, then gone (a rolled-back state a read saw) is counted apart', () => {
  const h = recorder();
  write(h, 'indeterminate');
  read(h, [0]);
  read(h, []);
  const v = checkHistory(h.keys());
  assert.is(v.values.lost, 0, 'set-full would call it lost; its write was never acknowledged');
  assert.is(v.values.indeterminate, 1);
  assert.is(v.unacknowledgedLost, 1);
  assert.is(v.examples['unacknowledged-lost']![0]!.write!.outcome, 'indeterminate');
});

test('indeterminate, never seen: present or absent, both allowed', () => {
  const h = recorder();
  write(h, 'indeterminate');
  h.invokeWrite(K, 'writer'); // still pending at the check: indeterminate too
  read(h, []);
  const v = checkHistory(h.keys());
  assert.is(v.values.indeterminate, 2);
  assert.is(v.writes.indeterminate, 2);
  assert.is(v.keysWithoutFinalRead, 0, 'a write still pending needs no read after it');
  assert.equal(v.examples, {});
});

test('failed and never seen: as it should be; failed but seen: flagged', () => {
  const h = recorder();
  write(h, 'fail');
  write(h, 'fail');
  read(h, [1]);
  const v = checkHistory(h.keys());
  assert.is(v.values.failed, 1);
  assert.is(v.values.stable, 1);
  assert.is(v.failedSeen, 1);
  assert.is(v.examples['failed-seen']![0]!.value, 1);
});

test('unexpected: values no write wrote, foreign members', () => {
  const h = recorder();
  write(h);
  const r = h.invokeRead(K, 'reader');
  h.completeRead(r, ['0', '7', 'garbage']);
  const v = checkHistory(h.keys());
  assert.is(v.unexpected, 2);
  assert.is(v.values.stable, 1);
});

test('list divergence: two reads neither a prefix of the other (split brain as clients saw it)', () => {
  const h = recorder('list');
  write(h);
  write(h);
  write(h);
  read(h, [0, 1]);
  read(h, [0, 2]);
  read(h, [0]); // a prefix of both: not divergent
  read(h, [0, 2]); // agrees with the fork: counted once
  const v = checkHistory(h.keys());
  assert.is(v.divergence, 1);
  assert.match(v.examples.divergence![0]!.detail, 'position 1');
  assert.ok(v.examples.divergence![0]!.other);
});

test('list: reads that are prefixes of one another are a chain, no divergence (a shorter last read: a loss)', () => {
  const h = recorder('list');
  write(h);
  read(h, [0]);
  write(h);
  read(h, [0, 1]);
  read(h, [0]);
  const v = checkHistory(h.keys());
  assert.is(v.divergence, 0);
  assert.is(v.values.stable, 1);
  assert.is(v.values.lost, 1);
  assert.equal(Object.keys(v.examples), ['lost']);
});

test('list duplicates: a value twice in one read, counted once', () => {
  const h = recorder('list');
  write(h);
  read(h, [0, 0]);
  read(h, [0, 0]);
  const v = checkHistory(h.keys());
  assert.is(v.duplicates, 1);
  assert.is(v.values.stable, 1);
});

test('list reordering: a value acknowledged before another was invoked sits after it', () => {
  const h = recorder('list');
  write(h); // 0 acknowledged
  write(h); // 1 invoked after 0's ack
  read(h, [1, 0]);
  const v = checkHistory(h.keys());
  assert.is(v.reordered, 1);
  assert.is(v.examples.reorder![0]!.value, 0);
});

test('list: concurrent writes may land in either order', () => {
  const h = recorder('list');
  const a = h.invokeWrite(K, 'writer');
  const b = h.invokeWrite(K, 'writer');
  h.complete(a, 'ok');
  h.complete(b, 'ok');
  read(h, [1, 0]);
  assert.is(checkHistory(h.keys()).reordered, 0);
});

test('recorder bounds: the ring drops the oldest ops, whose values are then not classified', () => {
  const h = new HistoryRecorder({ maxOpsPerKey: 3, maxKeys: 1 });
  h.declare(K, 'list');
  for (let i = 0; i < 4; i++) write(h);
  read(h, [0, 1, 2, 3]);
  const [k] = h.keys();
  assert.is(k!.droppedWrites, 2);
  assert.is(k!.ops.length, 3);
  const v = checkHistory(h.keys(), { dropped: h.dropped });
  assert.is(v.values.stable, 2);
  assert.is(v.unexpected, 0);
  assert.equal(v.dropped, { keys: 0, ops: 2 });
  assert.equal(h.writeTotals, { attempted: 4, ok: 4, failed: 0, indeterminate: 0 }, 'totals count dropped writes');
  h.declare('other', 'set');
  assert.equal(h.dropped, { keys: 1, ops: 5 });
  assert.equal(
    h.keys().map((x) => x.key),
    ['other'],
  );
});

test('outcomeOfError: an error reply or an unsent command fails; a timeout is indeterminate', () => {
  const reply = Object.assign(new Error('MOVED 0 127.0.0.1:7000'), { name: 'ReplyError' });
  assert.is(outcomeOfError(reply), 'fail');
  assert.is(outcomeOfError(new Error("Stream isn't writeable and enableOfflineQueue options is false")), 'fail');
  assert.is(outcomeOfError(new Error('Command timed out')), 'indeterminate');
  assert.is(outcomeOfError(new Error('Connection is closed.')), 'indeterminate');
});

test('mergeVerdicts: shards summed, examples kept up to the limit', () => {
  const lostOne = () => {
    const h = recorder();
    write(h);
    read(h, []);
    return checkHistory(h.keys(), { dropped: { keys: 0, ops: 1 } });
  };
  const m = mergeVerdicts([lostOne(), lostOne(), lostOne()], 2);
  assert.is(m.keys, 3);
  assert.is(m.values.lost, 3);
  assert.equal(m.writes, { attempted: 3, ok: 3, failed: 0, indeterminate: 0 });
  assert.equal(m.dropped, { keys: 0, ops: 3 });
  assert.is(m.examples.lost!.length, 2);
});

test.run();
