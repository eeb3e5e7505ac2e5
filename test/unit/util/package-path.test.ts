import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { packagePath } from '../../../src/util/package-path.ts';

test('packagePath finds the package root from src/ (the bundle is checked by the entrypoints suite)', () => {
  assert.ok(existsSync(packagePath('manifests', 'statefulset.yaml')));
  assert.ok(existsSync(packagePath('package.json')));
});

test.run();
