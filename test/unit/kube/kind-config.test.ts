import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { KIND_PV_MOUNT, kindConfig } from '../../../src/platform/kind-config.ts';

interface KindNode { role: string; image?: string; extraMounts: Array<{ hostPath: string; containerPath: string }> }

test('one control-plane and N workers, every node mounting the PV dir', () => {
  const text = kindConfig({ workers: 3, hostPvDir: '/tmp/run/pv' });
  assert.not.match(text, '*', 'no YAML aliases');
  const config = parse(text) as { kind: string; apiVersion: string; nodes: KindNode[] };
  assert.is(config.kind, 'Cluster');
  assert.is(config.apiVersion, 'kind.x-k8s.io/v1alpha4');
  assert.equal(config.nodes.map((n) => n.role), ['control-plane', 'worker', 'worker', 'worker']);
  for (const n of config.nodes) {
    assert.equal(n.extraMounts, [{ hostPath: '/tmp/run/pv', containerPath: KIND_PV_MOUNT }]);
    assert.is(n.image, undefined);
  }
});

test('node image applies to every node; relative PV dir becomes absolute', () => {
  const config = parse(kindConfig({ workers: 1, hostPvDir: 'pv', nodeImage: 'kindest/node:v1.36.1' })) as { nodes: KindNode[] };
  assert.equal(config.nodes.map((n) => n.image), ['kindest/node:v1.36.1', 'kindest/node:v1.36.1']);
  assert.is(config.nodes[0]!.extraMounts[0]!.hostPath, `${process.cwd()}/pv`);
});

test('zero workers is a single-node cluster; negative is refused', () => {
  assert.is((parse(kindConfig({ workers: 0, hostPvDir: '/x' })) as { nodes: KindNode[] }).nodes.length, 1);
  assert.throws(() => kindConfig({ workers: -1, hostPvDir: '/x' }), /at least 0/);
});

test.run();
