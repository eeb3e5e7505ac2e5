import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { V1Node } from '@kubernetes/client-node';

let podRoutes: typeof import('../../../src/platform/kube/routes.ts').podRoutes;
test.before(async () => {
  ({ podRoutes } = await import('../../../src/platform/kube/routes.ts'));
});

const node = (name: string, spec: V1Node['spec'], addresses: Array<{ type: string; address: string }>): V1Node =>
  ({ metadata: { name }, spec, status: { addresses } }) as V1Node;

test('one route per node pod CIDR via its IPv4 InternalIP; nodes without either are skipped', () => {
  const routes = podRoutes([
    node('kind-control-plane', { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24', 'fd00:10:244::/64'] },
      [{ type: 'InternalIP', address: '172.18.0.3' }, { type: 'InternalIP', address: 'fc00:f853::3' }, { type: 'Hostname', address: 'kind-control-plane' }]),
    node('kind-worker', { podCIDR: '10.244.1.0/24' }, [{ type: 'InternalIP', address: '172.18.0.2' }]),
    node('kind-worker2', {}, [{ type: 'InternalIP', address: '172.18.0.4' }]),
    node('kind-worker3', { podCIDR: '10.244.3.0/24' }, []),
  ]);
  assert.equal(routes, [
    { node: 'kind-control-plane', cidr: '10.244.0.0/24', via: '172.18.0.3' },
    { node: 'kind-worker', cidr: '10.244.1.0/24', via: '172.18.0.2' },
  ]);
});

test.run();
