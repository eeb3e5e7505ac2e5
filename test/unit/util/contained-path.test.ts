import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containedPath, mkdirContained, readContainedTail, writeContained } from '../../../src/util/contained-path.ts';
import { spawnSync } from 'node:child_process';
import { inputErrorOf as refused } from '../../support/input-error.ts';
import { beforeAll } from '../../support/setup.ts';

let base = '';
let root = '';
let outside = '';
beforeAll(test, () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'contained-path-test-'));
  root = path.join(base, 'run');
  outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'pods'), { recursive: true });
  fs.mkdirSync(outside);
  fs.symlinkSync(outside, path.join(root, 'pods', 'escape'));
  fs.symlinkSync(path.join(outside, 'missing'), path.join(root, 'dangling'));
});
test.after(() => fs.rmSync(base, { recursive: true, force: true }));

test('paths inside the root, existing or not, come back absolute', () => {
  assert.is(containedPath(root, 'pods/redis-0/redis.conf'), path.join(root, 'pods/redis-0/redis.conf'));
  assert.is(containedPath(root, path.join(root, 'pv/a/b/c')), path.join(root, 'pv/a/b/c'));
  assert.is(containedPath(root, root), root);
  assert.is(
    containedPath(path.join(base, 'not-yet'), 'x'),
    path.join(base, 'not-yet', 'x'),
    'a root that does not exist yet',
  );
});

test('a .. that leaves the root is refused, naming what it was for', () => {
  const message = refused(() => containedPath(root, 'pv/../../outside/x', { what: 'volume data' }));
  assert.match(message, /volume data/);
  assert.match(message, /outside the run's directory/);
  refused(() => containedPath(root, '/etc/passwd'));
  refused(() => containedPath(root, '..'));
});

test('a symlink inside the root that points outside is followed and refused; a sibling named like the root too', () => {
  refused(() => containedPath(root, 'pods/escape/file'));
  refused(() => containedPath(root, 'pods/escape'));
  refused(() => containedPath(root, 'dangling')); // a dangling link decides where a write lands
  refused(() => containedPath(root, `${root}-other/x`));
});

test("'nofollow' checks where the link itself is (rm removes the link, not its target)", () => {
  assert.is(containedPath(root, 'pods/escape', { leaf: 'nofollow' }), path.join(root, 'pods/escape'));
  refused(() => containedPath(root, 'pods/escape/x', { leaf: 'nofollow' }));
});

test('readContainedTail: the tail of a regular file; a link anywhere below the root, a FIFO or a device is refused unread', () => {
  const dir = path.join(root, 'pv', 'data');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'redis.log'), 'first\nsecond\nthird\n');
  assert.equal(readContainedTail(root, 'pv/data/redis.log', 1024), { text: 'first\nsecond\nthird\n', skipped: 0 });
  assert.equal(readContainedTail(root, path.join(dir, 'redis.log'), 6), { text: 'third\n', skipped: 13 });
  const secret = path.join(outside, 'secret');
  fs.writeFileSync(secret, 'host secret');
  fs.symlinkSync(secret, path.join(dir, 'linked.log'));
  assert.match(
    refused(() => readContainedTail(root, 'pv/data/linked.log', 1024)),
    /symbolic link/,
  );
  // A link to a file inside the root is refused too: nothing below the root is followed.
  fs.symlinkSync('redis.log', path.join(dir, 'inner.log'));
  refused(() => readContainedTail(root, 'pv/data/inner.log', 1024));
  // A linked directory on the way.
  assert.match(
    refused(() => readContainedTail(root, 'pods/escape/secret', 1024)),
    /pods\/escape/,
  );
  refused(() => readContainedTail(root, '../outside/secret', 1024));
  // A FIFO with no writer: an open without O_NONBLOCK would wait forever.
  assert.is(spawnSync('mkfifo', [path.join(dir, 'fifo.log')]).status, 0);
  assert.match(
    refused(() => readContainedTail(root, 'pv/data/fifo.log', 1024)),
    /not a regular file/,
  );
  fs.symlinkSync('/dev/zero', path.join(dir, 'zero.log'));
  refused(() => readContainedTail(root, 'pv/data/zero.log', 1024));
});

test('writeContained replaces a link planted where the file goes; mkdirContained refuses a linked folder', () => {
  const report = path.join(base, 'report');
  const target = path.join(outside, 'target.txt');
  fs.writeFileSync(target, 'untouched');
  fs.mkdirSync(report);
  fs.symlinkSync(target, path.join(report, 'report.json'));
  writeContained(report, 'report.json', '{}');
  assert.is(fs.readFileSync(target, 'utf8'), 'untouched');
  assert.ok(fs.lstatSync(path.join(report, 'report.json')).isFile());
  assert.is(fs.readFileSync(path.join(report, 'report.json'), 'utf8'), '{}');
  fs.symlinkSync(outside, path.join(report, 'evidence'));
  assert.match(
    refused(() => writeContained(report, 'evidence/logs/x.log', 'log')),
    /evidence/,
  );
  refused(() => mkdirContained(report, 'evidence/kind-logs'));
  assert.equal(fs.readdirSync(outside).sort(), ['secret', 'target.txt']);
  writeContained(report, 'evidence2/logs/x.log', 'log');
  assert.is(fs.readFileSync(path.join(report, 'evidence2/logs/x.log'), 'utf8'), 'log');
  assert.equal(fs.readdirSync(path.join(report, 'evidence2/logs')), ['x.log'], 'no temp file left');
});

test.run();
