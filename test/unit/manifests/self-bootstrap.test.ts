import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { loadManifests, parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet } from '../../../src/manifests/model.ts';
import { decideBootstrap, findSelfBootstraps } from '../../../src/manifests/self-bootstrap.ts';

const setOf = (text: string): ManifestSet => ({
  dir: 'm',
  files: ['m/x.yaml'],
  objects: parseManifestFile('m/x.yaml', text),
});

const job = (script: string, extra = '') => `apiVersion: batch/v1
kind: Job
metadata:
  name: create
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: c
          image: redis:7.2.5
          command:
            - sh
            - -c
            - |
${script
  .split('\n')
  .map((l) => `              ${l}`)
  .join('\n')}
${extra}`;

test('a Job running redis-cli --cluster create in sh -c: found at its line, unguarded', () => {
  const found = findSelfBootstraps(
    setOf(job('echo start\nredis-cli --cluster create a:6379 b:6379 --cluster-yes')),
    undefined,
  );
  assert.equal(
    found.map((f) => [f.kind, f.description, f.how, f.at.line, f.guard]),
    [['Job', 'Job create', 'cluster-create', 17, undefined]],
  );
});

test('valkey-cli, a path to the CLI, and a continuation line count too', () => {
  const found = findSelfBootstraps(
    setOf(job('/usr/local/bin/valkey-cli \\\n  --cluster create a:6379 --cluster-yes')),
    undefined,
  );
  assert.is(found[0]?.how, 'cluster-create');
});

test('guards: a look at cluster_known_nodes, --cluster check, or || true', () => {
  for (const script of [
    '[ "$(redis-cli cluster info | grep cluster_known_nodes)" = "cluster_known_nodes:1" ] || exit 0\nredis-cli --cluster create a:1 --cluster-yes',
    'redis-cli --cluster check a:6379 && exit 0\nredis-cli --cluster create a:1 --cluster-yes',
    'redis-cli --cluster create a:1 --cluster-yes || true',
  ])
    assert.ok(findSelfBootstraps(setOf(job(script)), undefined)[0]?.guard, script);
});

test('CLUSTER MEET with ADDSLOTSRANGE forms a cluster; MEET alone (re-discovery) does not', () => {
  const meet = 'redis-cli -h a cluster meet 1.2.3.4 6379\nredis-cli -h a CLUSTER ADDSLOTSRANGE 0 16383';
  assert.is(findSelfBootstraps(setOf(job(meet)), undefined)[0]?.how, 'meet-addslots');
  assert.equal(findSelfBootstraps(setOf(job('redis-cli cluster meet 1.2.3.4 6379')), undefined), []);
});

test('the default manifests form nothing themselves (their script only re-discovers peers)', async () => {
  const set = await loadManifests('manifests');
  assert.equal(findSelfBootstraps(set, redisDeployment(set)), []);
});

test('a Job running a script from a ConfigMap, and a postStart hook of the Redis container', async () => {
  const set = await loadManifests('test/fixtures/lint/bootstrap-idempotent/fail');
  const found = findSelfBootstraps(set, redisDeployment(set));
  assert.equal(
    found.map((f) => [f.description, `${f.at.file.split('/').pop()}:${f.at.line}`]),
    [
      ['Job redis-cluster-create', 'configmap.yaml:20'],
      ['postStart hook of container redis (StatefulSet redis)', 'statefulset.yaml:30'],
    ],
  );
});

test("the Redis container's own sh -c script (server in the background, then the create) is found as the container's", async () => {
  const base = await loadManifests('test/fixtures/lint/bootstrap-idempotent/pass');
  const sts = base.objects.find((o) => o.kind === 'StatefulSet')!;
  const text = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: redis
spec:
  serviceName: redis
  replicas: 6
  selector:
    matchLabels:
      app: redis
  template:
    metadata:
      labels:
        app: redis
    spec:
      containers:
        - name: redis
          image: redis:7.2.5
          command:
            - sh
            - -c
            - |
              redis-server /etc/redis/redis.conf &
              sleep 5
              [ "$(hostname)" = redis-0 ] && redis-cli --cluster create 10.0.0.1:6379 10.0.0.2:6379 --cluster-yes || true
              wait
          volumeMounts:
            - name: conf
              mountPath: /etc/redis
      volumes:
        - name: conf
          configMap:
            name: redis-conf
`;
  const set: ManifestSet = {
    ...base,
    objects: [...base.objects.filter((o) => o !== sts), ...parseManifestFile('m/sts.yaml', text)],
  };
  const found = findSelfBootstraps(set, redisDeployment(set)).filter((f) => f.object.kind === 'StatefulSet');
  assert.equal(
    found.map((f) => [f.kind, f.description, f.at.line, f.guard]),
    [['container', 'container redis (StatefulSet redis)', 25, 'its failure is tolerated (||)']],
  );
});

test('decideBootstrap: auto follows the manifests; tool withholds their Job and says so; self with nothing found says so', () => {
  const found = findSelfBootstraps(setOf(job('redis-cli --cluster create a:1 --cluster-yes')), undefined);
  assert.is(decideBootstrap('auto', found).source, 'by the manifests (Job create)');
  assert.is(decideBootstrap('auto', []).by, 'tool');
  const tool = decideBootstrap('tool', found);
  assert.equal(
    [tool.by, tool.withheld.map((o) => o.name), tool.note],
    [
      'tool',
      ['create'],
      'bootstrap tool: Job create forms the cluster itself and is not run (the tool forms it instead)',
    ],
  );
  assert.match(decideBootstrap('self', []).note ?? '', /nothing in the manifests is recognised/);
});

test.run();
