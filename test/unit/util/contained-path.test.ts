import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containedPath } from '../../../src/util/contained-path.ts';
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

test.run();
