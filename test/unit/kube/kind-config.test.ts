import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { InputError } from '../../../src/errors.ts';
import { KIND_PV_MOUNT, kindConfig } from '../../../src/platform/kind-config.ts';

interface KindNode {
  role: string;
  image?: string;
  extraMounts: Array<{ hostPath: string; containerPath: string }>;
}

test('one control-plane and N workers, every node mounting the PV dir', () => {
  const text = kindConfig({ workers: 3, hostPvDir: '/tmp/run/pv' });
  assert.not.match(text, '*', 'no YAML aliases');
  const config = parse(text) as { kind: string; apiVersion: string; nodes: KindNode[] };
  assert.is(config.kind, 'Cluster');
  assert.is(config.apiVersion, 'kind.x-k8s.io/v1alpha4');
  assert.equal(
    config.nodes.map((n) => n.role),
    ['control-plane', 'worker', 'worker', 'worker'],
  );
  for (const n of config.nodes) {
    assert.equal(n.extraMounts, [{ hostPath: '/tmp/run/pv', containerPath: KIND_PV_MOUNT }]);
    assert.is(n.image, undefined);
  }
});

test('node image applies to every node; relative PV dir becomes absolute', () => {
  const config = parse(kindConfig({ workers: 1, hostPvDir: 'pv', nodeImage: 'kindest/node:v1.36.1' })) as {
    nodes: KindNode[];
  };
  assert.equal(
    config.nodes.map((n) => n.image),
    ['kindest/node:v1.36.1', 'kindest/node:v1.36.1'],
  );
  assert.is(config.nodes[0]!.extraMounts[0]!.hostPath, `${process.cwd()}/pv`);
});

test('zero workers is a single-node cluster; negative is refused', () => {
  assert.is((parse(kindConfig({ workers: 0, hostPvDir: '/x' })) as { nodes: KindNode[] }).nodes.length, 1);
  assert.throws(() => kindConfig({ workers: -1, hostPvDir: '/x' }), /at least 0/);
});

test("kind-config: the user's nodes and settings are kept, every node gets the stand-in mount after its own", () => {
  const user = {
    file: 'ci/kind.yaml',
    text: [
      'kind: Cluster',
      'apiVersion: kind.x-k8s.io/v1alpha4',
      'networking: { podSubnet: 10.200.0.0/16 }',
      'containerdConfigPatches: ["[plugins.cri.registry]"]',
      'nodes:',
      '  - role: control-plane',
      '    extraMounts: [{ hostPath: /cache, containerPath: /cache }]',
      '  - role: worker',
      '    image: kindest/node:v1.35.0',
      '',
    ].join('\n'),
  };
  const config = parse(kindConfig({ workers: 3, hostPvDir: '/run/pv', nodeImage: 'kindest/node:v1.36.1', user })) as {
    networking: unknown;
    containerdConfigPatches: unknown;
    nodes: KindNode[];
  };
  assert.equal(config.networking, { podSubnet: '10.200.0.0/16' });
  assert.equal(config.containerdConfigPatches, ['[plugins.cri.registry]']);
  assert.equal(
    config.nodes.map((n) => [n.role, n.image]),
    [
      ['control-plane', 'kindest/node:v1.36.1'],
      ['worker', 'kindest/node:v1.35.0'],
    ],
    'its nodes, not workers: 3; its own image kept',
  );
  assert.equal(config.nodes[0]!.extraMounts, [
    { hostPath: '/cache', containerPath: '/cache' },
    { hostPath: '/run/pv', containerPath: KIND_PV_MOUNT },
  ]);
  assert.equal(config.nodes[1]!.extraMounts, [{ hostPath: '/run/pv', containerPath: KIND_PV_MOUNT }]);
});

test('kind-config without nodes: its settings with our nodes', () => {
  const config = parse(
    kindConfig({
      workers: 1,
      hostPvDir: '/x',
      user: { file: 'k.yaml', text: 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nfeatureGates: { A: true }\n' },
    }),
  ) as {
    featureGates: unknown;
    nodes: KindNode[];
  };
  assert.equal(config.featureGates, { A: true });
  assert.equal(
    config.nodes.map((n) => n.role),
    ['control-plane', 'worker'],
  );
});

test('kind-config that is not a kind config, or mounts where the stand-in goes: InputError naming the file', () => {
  const err = (text: string) => {
    try {
      kindConfig({ workers: 0, hostPvDir: '/x', user: { file: 'k.yaml', text } });
    } catch (e) {
      return e as Error;
    }
    return undefined;
  };
  assert.instance(err('kind: Pod\napiVersion: v1\n'), InputError);
  assert.match(
    err('kind: Pod\napiVersion: v1\n')!.message,
    'kind-config k.yaml: kind "Pod", apiVersion "v1"; expected a kind cluster config',
  );
  assert.match(err('a: [\n')!.message, 'kind-config k.yaml: not YAML');
  assert.match(
    err(
      `kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes: [{ role: control-plane, extraMounts: [{ hostPath: /a, containerPath: ${KIND_PV_MOUNT} }] }]\n`,
    )!.message,
    `a node already mounts something at ${KIND_PV_MOUNT}`,
  );
});

test.run();
