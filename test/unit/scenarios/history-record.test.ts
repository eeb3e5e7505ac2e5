/**
 * Recording through record.ts: a write's outcome from how its command ended, a read's values, the final read
 * failing loudly (a verdict without the end of a key would call its losses "never read").
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HistoryRecorder } from '../../../src/scenarios/history/model.ts';
import {
  finalRead,
  recordRead,
  recordWrite,
  type ReadConn,
  type WriteConn,
} from '../../../src/scenarios/history/record.ts';

const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

/** A stand-in connection: a list in memory; `fail` makes the next command reject with it. */
function conn(): WriteConn & ReadConn & { list: string[]; fail?: Error } {
  const c = {
    list: [] as string[],
    fail: undefined as Error | undefined,
    async rpush(_key: string, value: string) {
      await Promise.resolve();
      const err = c.fail;
      c.fail = undefined;
      if (err) throw err;
      return c.list.push(value);
    },
    async lrange() {
      await Promise.resolve();
      const err = c.fail;
      c.fail = undefined;
      if (err) throw err;
      return [...c.list];
    },
  };
  return c as unknown as WriteConn & ReadConn & { list: string[]; fail?: Error };
}

test('recordWrite: ok, refused (error reply) and indeterminate (timeout), each with its node', async () => {
  const h = new HistoryRecorder();
  h.declare('k', 'list');
  const c = conn();
  const node = () => '10.0.0.1:6379';
  const ok = await recordWrite(h, c, 'k', 'list', 'writer', node);
  c.fail = replyError('MOVED 0 10.0.0.2:6379');
  const refused = await recordWrite(h, c, 'k', 'list', 'writer', node);
  c.fail = new Error('Command timed out');
  const unknown = await recordWrite(h, c, 'k', 'list', 'writer', node);
  assert.equal(
    [ok, refused, unknown].map((op) => [op.value, op.outcome, op.node, op.error]),
    [
      [0, 'ok', '10.0.0.1:6379', undefined],
      [1, 'fail', '10.0.0.1:6379', 'MOVED 0 10.0.0.2:6379'],
      [2, 'indeterminate', '10.0.0.1:6379', 'Command timed out'],
    ],
  );
  assert.equal(c.list, ['0']);
  const r = await recordRead(h, c, 'k', 'list', 'reader', node);
  assert.equal([...r.seen!], [0]);
});

test('finalRead: every key read once more; a failed read throws naming the key', async () => {
  const h = new HistoryRecorder();
  h.declare('k', 'list');
  const c = conn();
  await recordWrite(h, c, 'k', 'list', 'writer', () => undefined);
  await finalRead(h, c, () => undefined);
  assert.is(h.keys()[0]!.ops.at(-1)!.client, 'final-read');
  c.fail = new Error('Connection is closed.');
  try {
    await finalRead(h, c, () => undefined);
    assert.unreachable('a failed final read throws');
  } catch (err) {
    assert.match((err as Error).message, 'the final read of k failed: Connection is closed.');
  }
});

test.run();
