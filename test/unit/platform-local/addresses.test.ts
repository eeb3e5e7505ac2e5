import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AddressAllocator,
  CLAIM_PORT,
  claimAddress,
  parseAddressBase,
  portFree,
} from '../../../src/platform/local/addresses.ts';

const allFree = async () => true;
const claimAll = async () => ({ close: () => undefined });

test('addresses start at .1 of the base, never repeat, and roll over into the next /24', async () => {
  const a = new AddressAllocator('127.0.52', () => [6379], allFree, claimAll);
  const got: string[] = [];
  for (let i = 0; i < 256; i++) got.push(await a.next());
  assert.is(got[0], '127.0.52.1');
  assert.is(got[253], '127.0.52.254');
  assert.is(got[254], '127.0.53.1');
  assert.is(new Set(got).size, got.length);
});

test('addresses where any of the ports is taken are skipped', async () => {
  const busy = new Set(['127.0.52.1:16379', '127.0.52.2:6379']);
  const a = new AddressAllocator(
    '127.0.52',
    () => [6379, 16379],
    async (h, p) => !busy.has(`${h}:${p}`),
    claimAll,
  );
  assert.is(await a.next(), '127.0.52.3');
  assert.is(await a.next(), '127.0.52.4');
});

test('a range where everything is taken ends in an error naming what it saw, not an endless scan', async () => {
  const a = new AddressAllocator(
    '127.0.52',
    () => [6379],
    async () => false,
    claimAll,
  );
  try {
    await a.next();
    assert.unreachable();
  } catch (err) {
    assert.match(String(err), /no free loopback address .*127\.0\.52\.1:6379/);
  }
});

test('two allocators (two runs) never hand out the same address, until one releases its claims', async () => {
  // Real claims: listeners on CLAIM_PORT. A /24 of its own, so that no other suite's claims are in the way.
  const first = new AddressAllocator('127.0.58', () => [6379], allFree);
  const second = new AddressAllocator('127.0.58', () => [6379], allFree);
  try {
    const a = [await first.next(), await first.next()];
    const b = [await second.next(), await second.next()];
    assert.equal(
      b.filter((ip) => a.includes(ip)),
      [],
      `first ${a.join(' ')}, second ${b.join(' ')}`,
    );
    assert.is(await portFree(a[0]!, CLAIM_PORT), false, 'the claim is a listener');
    first.release();
    const third = new AddressAllocator('127.0.58', () => [6379], allFree);
    assert.is(await third.next(), a[0], 'released addresses are free again');
    third.release();
  } finally {
    first.release();
    second.release();
  }
});

test('an address whose Redis port is bound gives its claim back', async () => {
  const busy = new Set<string>();
  const a = new AddressAllocator(
    '127.0.59',
    () => [6379],
    async (h) => !busy.has(h),
  );
  const ip = await a.next();
  a.release();
  busy.add(ip);
  const again = new AddressAllocator(
    '127.0.59',
    () => [6379],
    async (h) => !busy.has(h),
  );
  const other = await again.next();
  assert.is.not(other, ip);
  const held = await claimAddress(ip);
  assert.ok(held, 'the skipped address is not left claimed');
  held.close();
  again.release();
});

test('a Redis port equal to the claim port is refused', async () => {
  const a = new AddressAllocator('127.0.52', () => [CLAIM_PORT], allFree, claimAll);
  await a.next().then(
    () => assert.unreachable(),
    (err: unknown) => assert.match(String(err), /claim/),
  );
});

test('the base must be a loopback /24 other than 127.0.0', () => {
  assert.equal(parseAddressBase('127.0.50'), [0, 50]);
  assert.throws(() => parseAddressBase('127.0.0'), /127\.0\.0\.1/);
  assert.throws(() => parseAddressBase('10.0.0'), /loopback/);
  assert.throws(() => parseAddressBase('127.0.50.1'), /loopback \/24/);
  assert.throws(() => parseAddressBase('127.0.256'), /loopback/);
});

test('the bind test sees a listener on the address', async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(16400, '127.0.52.9', r));
  try {
    assert.is(await portFree('127.0.52.9', 16400), false);
    assert.is(await portFree('127.0.52.10', 16400), true);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test.run();
