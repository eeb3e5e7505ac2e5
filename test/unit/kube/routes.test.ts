import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { V1Node } from '@kubernetes/client-node';
import { addPodRoutes, podRoutes, removePodRoute, routesToAdd } from '../../../src/platform/kube/routes.ts';
import type { Log } from '../../../src/util/log.ts';
import { installFakeIp } from './fake-ip.ts';

const node = (name: string, spec: V1Node['spec'], addresses: Array<{ type: string; address: string }>): V1Node => ({
  metadata: { name },
  spec,
  status: { addresses },
});

test('one route per node pod CIDR via its IPv4 InternalIP; nodes without either are skipped', () => {
  const routes = podRoutes([
    node('kind-control-plane', { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24', 'fd00:10:244::/64'] }, [
      { type: 'InternalIP', address: '172.18.0.3' },
      { type: 'InternalIP', address: 'fc00:f853::3' },
      { type: 'Hostname', address: 'kind-control-plane' },
    ]),
    node('kind-worker', { podCIDR: '10.244.1.0/24' }, [{ type: 'InternalIP', address: '172.18.0.2' }]),
    node('kind-worker2', {}, [{ type: 'InternalIP', address: '172.18.0.4' }]),
    node('kind-worker3', { podCIDR: '10.244.3.0/24' }, []),
  ]);
  assert.equal(routes, [
    { node: 'kind-control-plane', cidr: '10.244.0.0/24', via: '172.18.0.3' },
    { node: 'kind-worker', cidr: '10.244.1.0/24', via: '172.18.0.2' },
  ]);
});

test('routes are added with ip route add and removed with ip route del; removing one already gone is fine', async () => {
  const ip = installFakeIp();
  const warnings: string[] = [];
  const log: Log = { info: () => {}, progress: () => {}, warn: (m) => warnings.push(m) };
  const routes = [
    { node: 'kind-worker', cidr: '10.244.1.0/24', via: '172.18.0.2' },
    { node: 'kind-worker2', cidr: '10.244.2.0/24', via: '172.18.0.4' },
  ];
  const getuid = process.getuid;
  try {
    process.getuid = () => 1001; // the runner's user: through sudo -n
    await addPodRoutes(routes.slice(0, 1), log);
    assert.equal(ip.calls(), [
      'sudo -n ip route add 10.244.1.0/24 via 172.18.0.2',
      'ip route add 10.244.1.0/24 via 172.18.0.2',
    ]);
    ip.clear();
    process.getuid = () => 0; // root: ip itself
    const recorded: string[] = [];
    await addPodRoutes(routes, log, async (r) => void recorded.push(`${r.cidr} ${ip.calls().length}`));
    assert.equal(recorded, ['10.244.1.0/24 0', '10.244.2.0/24 1'], 'each undo recorded before its route is added');
    for (const r of routes) await removePodRoute(r);
    assert.equal(ip.calls(), [
      'ip route add 10.244.1.0/24 via 172.18.0.2',
      'ip route add 10.244.2.0/24 via 172.18.0.4',
      'ip route del 10.244.1.0/24 via 172.18.0.2',
      'ip route del 10.244.2.0/24 via 172.18.0.4',
    ]);
    assert.equal(warnings, []);
    ip.fail(2);
    await removePodRoute(routes[0]!); // "No such process": already gone, which is what the undo wants
    const err = await addPodRoutes(routes, log).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.match(
      err?.message ?? '',
      'could not add a route to pod CIDR 10.244.1.0/24 via node kind-worker (172.18.0.2): RTNETLINK answers: No such process',
    );
  } finally {
    process.getuid = getuid;
    ip.restore();
  }
});

test('a route that already exists for a pod CIDR is left alone: not added, so never removed', async () => {
  const ip = installFakeIp();
  const warnings: string[] = [];
  const log: Log = { info: () => {}, progress: () => {}, warn: (m) => warnings.push(m) };
  try {
    ip.setRoutes(['10.244.1.0/24 via 192.168.9.9 dev wg0']);
    const routes = [
      { node: 'kind-worker', cidr: '10.244.1.0/24', via: '172.18.0.2' },
      { node: 'kind-worker2', cidr: '10.244.2.0/24', via: '172.18.0.4' },
    ];
    assert.equal(await routesToAdd(routes, log), routes.slice(1));
    assert.equal(warnings, [
      'a route to pod CIDR 10.244.1.0/24 already exists ("10.244.1.0/24 via 192.168.9.9 dev wg0"); left as it is, not replaced and not removed',
    ]);
    assert.equal(
      ip.calls(),
      ['ip route show exact 10.244.1.0/24', 'ip route show exact 10.244.2.0/24'],
      'looked, changed nothing',
    );
  } finally {
    ip.restore();
  }
});

test.run();
