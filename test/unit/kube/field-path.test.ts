import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFieldPath } from '../../../src/platform/kube/field-path.ts';

test('API server field paths become manifest paths: dots, indexes, map keys, an apply conflict’s leading dot', () => {
  assert.equal(parseFieldPath('spec.ports[0].nodePort'), ['spec', 'ports', 0, 'nodePort']);
  assert.equal(parseFieldPath('data[redis.conf]'), ['data', 'redis.conf']);
  assert.equal(parseFieldPath('spec.template.spec.containers[0].resources.requests[cpu]'), [
    'spec',
    'template',
    'spec',
    'containers',
    0,
    'resources',
    'requests',
    'cpu',
  ]);
  assert.equal(parseFieldPath('.spec.replicas'), ['spec', 'replicas']);
});

test('a list item by key, or no path at all, maps to no place', () => {
  assert.is(parseFieldPath('.spec.template.spec.containers[name="redis"].image'), undefined);
  assert.is(parseFieldPath(''), undefined);
});

test.run();
