import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PodInfo } from '../../../src/platform/platform.ts';
import { parseClusterNodes } from '../../../src/redis/cluster-nodes.ts';
import { foreignState, foreignStateError, ForeignClusterStateError } from '../../../src/redis/foreign-state.ts';

const pod = (i: number, ip: string): PodInfo => ({
  name: `redis-${i}`,
  uid: `u${i}`,
  ip,
  node: 'n',
  ready: true,
  ordinal: i,
});
const id = (c: string) => c.repeat(40);
const line = (c: string, ip: string, flags: string) => `${id(c)} ${ip}:6379@16379 ${flags} - 0 0 0 connected`;

test('fresh nodes (each knows only itself) and a cluster formed at the current addresses: nothing foreign', () => {
  const pods = [pod(0, '10.0.0.1'), pod(1, '10.0.0.2')];
  assert.equal(
    foreignState([
      { pod: pods[0]!, nodes: parseClusterNodes(line('a', '10.0.0.1', 'myself,master')) },
      { pod: pods[1]!, nodes: parseClusterNodes(line('b', '10.0.0.2', 'myself,master')) },
    ]),
    [],
  );
  assert.equal(
    foreignState([
      {
        pod: pods[0]!,
        nodes: parseClusterNodes([line('a', '10.0.0.1', 'myself,master'), line('b', '10.0.0.2', 'master')].join('\n')),
      },
      {
        pod: pods[1]!,
        nodes: parseClusterNodes([line('b', '10.0.0.2', 'myself,master'), line('a', '10.0.0.1', 'master')].join('\n')),
      },
    ]),
    [],
  );
});

test("a previous run's nodes.conf: the pods know each other at their old addresses", () => {
  const pods = [pod(0, '10.0.0.7'), pod(1, '10.0.0.8')];
  const found = foreignState([
    {
      pod: pods[0]!,
      nodes: parseClusterNodes(
        [line('a', '10.0.0.7', 'myself,master'), line('b', '10.0.0.2', 'master,fail?')].join('\n'),
      ),
    },
    {
      pod: pods[1]!,
      nodes: parseClusterNodes(
        [line('b', '10.0.0.8', 'myself,master'), line('a', '10.0.0.1', 'master,fail?')].join('\n'),
      ),
    },
  ]);
  assert.equal(found, [
    'redis-0 (10.0.0.7) knows pods at addresses no pod has now (bbbbbbbb at 10.0.0.2:6379)',
    'redis-1 (10.0.0.8) knows pods at addresses no pod has now (aaaaaaaa at 10.0.0.1:6379)',
  ]);
});

test("another cluster's node (an id none of the pods has) is named; a handshake entry is not evidence", () => {
  const found = foreignState([
    {
      pod: pod(0, '10.0.0.1'),
      nodes: parseClusterNodes(
        [
          line('a', '10.0.0.1', 'myself,master'),
          line('f', '10.9.9.9', 'master'),
          line('e', '10.0.0.5', 'handshake'),
        ].join('\n'),
      ),
    },
  ]);
  assert.equal(found, ['redis-0 (10.0.0.1) knows 1 node(s) that are none of the pods (ffffffff at 10.9.9.9:6379)']);
  const err = foreignStateError(found);
  assert.instance(err, ForeignClusterStateError);
  assert.match(err.message, 'already hold the state of another Redis Cluster');
  assert.match(err.message, 'reclaimPolicy Retain');
  assert.not.match(err.message, 'contradicts');
});

test.run();
