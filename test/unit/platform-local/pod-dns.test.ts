/** The headless Service's DNS as the local platform writes it into each pod's /etc/hosts. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadManifests, parseManifestFile } from '../../../src/manifests/load.ts';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import type { ManifestSet } from '../../../src/manifests/model.ts';
import { governingService, podHostsText, type DnsPod } from '../../../src/platform/local/pod-dns.ts';
import { findExecutable } from '../../../src/platform/local/redis-binary.ts';

const STS = (serviceName: string) => `
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: cache, namespace: shop }
spec:
  serviceName: ${serviceName}
  replicas: 3
  selector: { matchLabels: { app: cache } }
  template:
    metadata: { labels: { app: cache } }
    spec:
      containers:
        - { name: redis, image: redis:7.2.5, command: [redis-server], args: [--cluster-enabled, 'yes'] }
`;
const SVC = (spec: string) => `
apiVersion: v1
kind: Service
metadata: { name: cache-svc, namespace: shop }
spec:
${spec}
`;
const setOf = (...docs: string[]): ManifestSet => ({
  dir: 'inline',
  files: ['inline.yaml'],
  objects: parseManifestFile('inline.yaml', docs.join('\n---\n')),
});
const serviceOf = (set: ManifestSet) => governingService(set, redisDeployment(set));

const pods: DnsPod[] = [
  { name: 'cache-0', ip: '127.0.60.1', ready: true },
  { name: 'cache-1', ip: '127.0.60.2', ready: false },
  { name: 'cache-2', ip: '', ready: false },
];
const linesOf = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('#'));

test('the default manifests: a headless Service that publishes not-ready pods', async () => {
  const set = await loadManifests('manifests');
  const svc = governingService(set, redisDeployment(set));
  assert.equal({ ...svc }, { name: 'redis-service', namespace: 'default', publishesPods: true, publishNotReady: true });
});

test('publishNotReadyAddresses: every pod with an address is listed under its own names and the Service name', () => {
  const svc = serviceOf(
    setOf(STS('cache-svc'), SVC('  clusterIP: None\n  publishNotReadyAddresses: true\n  selector: { app: cache }')),
  );
  const text = podHostsText(pods[0]!, pods, svc);
  assert.equal(linesOf(text), [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    '127.0.60.1\tcache-0.cache-svc.shop.svc.cluster.local cache-0.cache-svc.shop.svc cache-0.cache-svc.shop cache-0.cache-svc cache-svc.shop.svc.cluster.local cache-svc.shop.svc cache-svc.shop cache-svc cache-0',
    '127.0.60.2\tcache-1.cache-svc.shop.svc.cluster.local cache-1.cache-svc.shop.svc cache-1.cache-svc.shop cache-1.cache-svc cache-svc.shop.svc.cluster.local cache-svc.shop.svc cache-svc.shop cache-svc',
  ]);
});

test('without publishNotReadyAddresses a not-ready pod is not listed, except its own kubelet line in its own file', () => {
  const svc = serviceOf(setOf(STS('cache-svc'), SVC('  clusterIP: None\n  selector: { app: cache }')));
  assert.is(svc.publishNotReady, false);
  const seenBy0 = linesOf(podHostsText(pods[0]!, pods, svc));
  assert.is(seenBy0.length, 3);
  assert.ok(!seenBy0.some((l) => l.includes('127.0.60.2')), 'the not-ready pod is not in the DNS');
  const seenBy1 = linesOf(podHostsText(pods[1]!, pods, svc));
  assert.ok(seenBy1.includes('127.0.60.2\tcache-1.cache-svc.shop.svc.cluster.local cache-1'), seenBy1.join('\n'));
  assert.ok(
    seenBy1.some((l) => l.startsWith('127.0.60.1\t') && l.split(/\s+/).includes('cache-svc')),
    'the ready pod is',
  );
});

test('a Service that is not headless, selects other pods or is missing publishes no pod, and says why with its line', () => {
  const notHeadless = serviceOf(setOf(STS('cache-svc'), SVC('  selector: { app: cache }\n  clusterIP: 10.0.0.1')));
  assert.is(notHeadless.publishesPods, false);
  assert.match(notHeadless.note!, /Service cache-svc is not headless \(inline\.yaml:\d+\)/);
  const other = serviceOf(setOf(STS('cache-svc'), SVC('  clusterIP: None\n  selector: { app: other }')));
  assert.match(other.note!, /does not select StatefulSet cache's pods/);
  const missing = serviceOf(setOf(STS('nowhere')));
  assert.match(missing.note!, /Service nowhere .* is not among the manifests/);
  // The pod still resolves its own names (the kubelet's line), and nothing else.
  assert.equal(linesOf(podHostsText(pods[0]!, pods, missing)).slice(2), [
    '127.0.60.1\tcache-0.nowhere.shop.svc.cluster.local cache-0',
  ]);
});

test('the sandbox resolver returns every listed pod for the Service name (getent ahostsv4, as the re-discovery script asks)', () => {
  const getent = findExecutable('getent');
  const bwrap = findExecutable('bwrap');
  if (!getent || !bwrap) {
    console.log('  (skipped: getent or bwrap missing)');
    return;
  }
  const svc = serviceOf(
    setOf(STS('cache-svc'), SVC('  clusterIP: None\n  publishNotReadyAddresses: true\n  selector: { app: cache }')),
  );
  const dir = mkdtempSync(join(tmpdir(), 'rcr-dns-'));
  try {
    writeFileSync(join(dir, 'hosts'), podHostsText(pods[0]!, pods, svc));
    const ask = (name: string) =>
      execFileSync(
        bwrap,
        ['--ro-bind', '/', '/', '--ro-bind', join(dir, 'hosts'), '/etc/hosts', '--', getent, 'ahostsv4', name],
        { encoding: 'utf8' },
      )
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[0]);
    assert.equal([...new Set(ask('cache-svc'))].sort(), ['127.0.60.1', '127.0.60.2']);
    assert.equal([...new Set(ask('cache-1.cache-svc.shop.svc.cluster.local'))], ['127.0.60.2']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
