import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Redis } from 'ioredis';
import { shardsSettled, type Member } from '../../../src/redis/bootstrap.ts';

/** A member whose CLUSTER SHARDS answers `reply` (or throws it). */
const member = (name: string, reply: unknown[] | Error): Pick<Member, 'pod' | 'conn'> => ({
  pod: { name } as Member['pod'],
  conn: {
    call: () => (reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply)),
  } as unknown as Redis,
});

test('settled when every node lists one shard per master; a replica under its own shard id is not', async () => {
  assert.equal(await shardsSettled([member('a', [1, 2, 3]), member('b', [1, 2, 3])], 3), { done: true, value: true });
  assert.equal(await shardsSettled([member('a', [1, 2, 3]), member('b', [1, 2, 3, 4])], 3), {
    done: false,
    seen: 'b lists 4 shards',
  });
});

test('a server without CLUSTER SHARDS (before 7.0) is settled; any other error is not swallowed', async () => {
  const old = new Error("ERR Unknown subcommand or wrong number of arguments for 'SHARDS'. Try CLUSTER HELP.");
  assert.equal(await shardsSettled([member('a', old)], 3), { done: true, value: true });
  await shardsSettled([member('a', new Error('connection closed'))], 3).then(
    () => assert.unreachable('the error passes through'),
    (err: unknown) => assert.match(String(err), 'connection closed'),
  );
});

test.run();
