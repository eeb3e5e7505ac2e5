import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashTagIn, inRanges, slotOf } from '../../../src/scenarios/keyslot.ts';

test('slots match what redis-server answers to CLUSTER KEYSLOT', () => {
  // Values from redis-server 7.0.15: CLUSTER KEYSLOT foo / {user1000}.following / user1000.
  assert.is(slotOf('foo'), 12182);
  assert.is(slotOf('{user1000}.following'), 3443);
  assert.is(slotOf('user1000'), 3443);
});

test('a hash tag lands in the requested ranges, also a single slot', () => {
  for (const ranges of [
    [[0, 5460]],
    [[10923, 16383]],
    [[100, 100]],
    [
      [0, 0],
      [16383, 16383],
    ],
  ] as Array<Array<[number, number]>>) {
    const tag = hashTagIn(ranges, 'rcr');
    assert.ok(inRanges(slotOf(tag), ranges), `${tag} -> ${slotOf(tag)}`);
    assert.ok(inRanges(slotOf(`${tag}:w:17`), ranges), 'keys built on the tag share its slot');
  }
});

test('no ranges is an error, not a hang', () => {
  assert.throws(() => hashTagIn([], 'rcr'), /no slot ranges/);
});

test.run();
