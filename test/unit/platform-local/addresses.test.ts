import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AddressAllocator, parseAddressBase, portFree } from '../../../src/platform/local/addresses.ts';

const allFree = async () => true;

test('addresses start at .1 of the base, never repeat, and roll over into the next /24', async () => {
  const a = new AddressAllocator('127.0.52', () => [6379], allFree);
  const got: string[] = [];
  for (let i = 0; i < 256; i++) got.push(await a.next());
  assert.is(got[0], '127.0.52.1');
  assert.is(got[253], '127.0.52.254');
  assert.is(got[254], '127.0.53.1');
  assert.is(new Set(got).size, got.length);
});

test('addresses where any of the ports is taken are skipped', async () => {
  const busy = new Set(['127.0.52.1:16379', '127.0.52.2:6379']);
  const a = new AddressAllocator('127.0.52', () => [6379, 16379], async (h, p) => !busy.has(`${h}:${p}`));
  assert.is(await a.next(), '127.0.52.3');
  assert.is(await a.next(), '127.0.52.4');
});

test('a range where everything is taken ends in an error naming what it saw, not an endless scan', async () => {
  const a = new AddressAllocator('127.0.52', () => [6379], async () => false);
  try {
    await a.next();
    assert.unreachable();
  } catch (err) {
    assert.match(String(err), /no free loopback address .*127\.0\.52\.1:6379/);
  }
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
