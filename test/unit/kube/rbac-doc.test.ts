import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse, parseAllDocuments } from 'yaml';
import type { Config } from '../../../src/config.ts';
import type { ManifestSet, RedisDeployment } from '../../../src/manifests/model.ts';
import * as kube from '../../../src/platform/kube.ts';
import { kubeClients } from '../../../src/platform/kube/api.ts';
import { loadKubeConfig } from '../../../src/platform/kube/kubeconfig.ts';
import { checkAccess } from '../../../src/platform/kube/access-check.ts';
import { silentLog } from '../../../src/util/log.ts';
import { beforeAll } from '../../support/setup.ts';
import { startApiFixture, type ApiFixture, type Recorded } from './api-fixture.ts';
import { ADMIN_RULES, existsIn, kubeconfigWithToken, Rbac, type PolicyRule } from './api-rbac.ts';
import { ApiServer, pageNotFound } from './api-server.ts';
import { existingConfig, redis, redis2, set, sharedSet } from './redis-app.ts';

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');
const docs = parseAllDocuments(read('docs/rbac-existing.yaml')).map(
  (d) => d.toJS() as { kind: string; metadata: { namespace?: string }; rules: PolicyRule[] },
);
const clusterRole = docs.find((d) => d.kind === 'ClusterRole')!;
const role = docs.find((d) => d.kind === 'Role')!;

test('the RBAC in the README is the ClusterRole of docs/rbac-existing.yaml, and asks no node rights', () => {
  assert.is(docs.length, 2, 'a ClusterRole (the run makes its namespace) and a Role (namespace given)');
  const readme = read('README.md');
  const block = /The least a kubeconfig needs[^\n]*\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README has the RBAC block');
  assert.equal((parse(block) as { rules: unknown[] }).rules, clusterRole.rules);
  for (const d of docs) assert.not.ok(JSON.stringify(d.rules).includes('nodes'), 'no node rights by default');
  assert.not.match(readme, 'cordons every schedulable node\nfor the length');
});

// ---- the documented rules, run against the API fixture with RBAC (test/unit/kube/api-rbac.ts) ----

const USER = 'system:serviceaccount:ci:redis-resilience';
let fixture: ApiFixture;
let dir: string;
beforeAll(test, async () => {
  fixture = await startApiFixture();
  dir = mkdtempSync(path.join(os.tmpdir(), 'rbac-doc-'));
});
test.after(async () => {
  await fixture.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A cluster whose admin token is the fixture's, with `grants` for USER's token; refusals are recorded. */
function cluster(grants: Array<{ namespace?: string; rules: PolicyRule[] }>) {
  fixture.server = new ApiServer({ namespaces: ['default', 'team'] });
  fixture.requests.length = 0;
  const rbac = new Rbac().addUser('fixture-token', 'kubernetes-admin', [{ rules: ADMIN_RULES }]);
  rbac.addUser('runner-token', USER, grants);
  const refused: string[] = [];
  fixture.authorize = (req: Recorded, auth) => {
    const reply = rbac.authorize(req, auth, existsIn(fixture.server));
    if (reply && reply.status >= 400) refused.push(`${req.method} ${req.path}`);
    return reply;
  };
  const kubeconfig = kubeconfigWithToken(fixture.kubeconfig, 'runner-token', path.join(dir, 'kubeconfig'));
  return { kubeconfig, refused };
}
const config = existingConfig;

/** What a master-failover run asks of the platform: deploy, delete a pod under the hold, release, teardown. */
async function runToTheEnd(cfg: Config, manifests: ManifestSet = set(), app: RedisDeployment = redis): Promise<void> {
  const platform = kube.createExistingPlatform(cfg, { log: silentLog, workDir: dir });
  try {
    await platform.provision();
    await platform.deploy(manifests, app);
    const victim = (await platform.listPods()).find((p) => p.name === 'redis-app-1')!;
    await platform.faults.podDelete.delete(victim.name, { hold: cfg.holdRestart, mode: 'kill' });
    await platform.faults.podDelete.releaseHold();
    await platform.waitForReplacement(victim.name, victim.uid, 5000);
  } finally {
    await platform.teardown();
  }
}
/** Requests that change something (the access reviews aside). */
const changes = () =>
  fixture.requests
    .filter((r) => r.method !== 'GET' && !r.path.startsWith('/apis/authorization.k8s.io/'))
    .map((r) => `${r.method} ${r.path}`);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => (e as Error).message,
  );

test('the documented Role alone, namespace given: runs to the end with no refusal and no cluster-scoped request', async () => {
  const { kubeconfig, refused } = cluster([{ namespace: 'team', rules: role.rules }]);
  await runToTheEnd(config(kubeconfig, { namespace: 'team' }), set());
  assert.equal(refused, []);
  const clusterScoped = fixture.requests.filter(
    (r) =>
      /^\/(api\/v1|apis\/[^/]+\/[^/]+)\/(?!namespaces\/)[^/]+/.test(r.path) &&
      !r.path.startsWith('/apis/authorization.k8s.io/'),
  );
  assert.equal(clusterScoped, [], 'no cluster-scoped request');
  assert.ok(fixture.server.get('Namespace', undefined, 'team'), 'the given namespace is left');
  assert.equal(fixture.server.list('StatefulSet'), [], "the run's objects are removed");
  assert.equal(fixture.server.list('ResourceQuota'), [], 'the hold is released');
});

test('the documented ClusterRole: a namespace of its own and cluster-scoped objects, run to the end', async () => {
  const { kubeconfig, refused } = cluster([{ rules: clusterRole.rules }]);
  await runToTheEnd(config(kubeconfig), sharedSet(), redis2);
  assert.equal(refused, []);
});

test('any one rule of the documented Role missing: stops before any change, naming that rule', async () => {
  const singles = role.rules.flatMap((r) =>
    r.resources.flatMap((resource) => r.verbs.map((verb) => ({ group: r.apiGroups[0]!, resource, verb }))),
  );
  // The manifests use configmaps of that rule's resources only; services, secrets, serviceaccounts are for others'.
  const used = singles.filter((s) => !['services', 'secrets', 'serviceaccounts'].includes(s.resource));
  for (const gone of used) {
    const rules = singles
      .filter((s) => s !== gone)
      .map((s) => ({ apiGroups: [s.group], resources: [s.resource], verbs: [s.verb] }));
    const { kubeconfig } = cluster([{ namespace: 'team', rules }]);
    const message = await failure(runToTheEnd(config(kubeconfig, { namespace: 'team' }), set()));
    const what = `${gone.verb} ${gone.resource}`;
    assert.ok(message, `${what}: the run must stop`);
    assert.match(message, 'nothing was changed', what);
    assert.match(
      message,
      new RegExp(
        `apiGroups: \\["${gone.group}"\\], resources: \\["${gone.resource.replace('/', '\\/')}"\\], verbs: \\["${gone.verb}"\\] \\(a Role in namespace "team"`,
      ),
      what,
    );
    assert.equal(changes(), [], `${what}: no change`);
  }
});

/** The documented Role without the restart hold's rule: what the built-in admin and edit roles grant there. */
const withoutQuota = () => role.rules.filter((r) => !r.resources.includes('resourcequotas'));

test('the quota hold not allowed (as with the built-in admin/edit roles): said before any change, with the choices', async () => {
  const { kubeconfig } = cluster([{ namespace: 'team', rules: withoutQuota() }]);
  const message = await failure(runToTheEnd(config(kubeconfig, { namespace: 'team' }), set()));
  assert.match(message ?? '', 'resources: ["resourcequotas"], verbs: ["get", "create", "delete"]');
  assert.match(message ?? '', 'the built-in admin and edit roles do not allow');
  assert.match(message ?? '', 'hold-mode: cordon');
  assert.match(message ?? '', 'hold-restart: false');
  assert.match(message ?? '', 'grant the rule above');
  assert.equal(changes(), [], 'nothing changed, nothing deleted');

  // The choices work: hold-restart false needs no quota; hold-mode cordon names the node rules it needs.
  const again = cluster([{ namespace: 'team', rules: withoutQuota() }]);
  await runToTheEnd(config(again.kubeconfig, { namespace: 'team', holdRestart: false }), set());
  assert.equal(again.refused, []);
  cluster([{ namespace: 'team', rules: withoutQuota() }]);
  const cordon = await failure(runToTheEnd(config(again.kubeconfig, { namespace: 'team', holdMode: 'cordon' }), set()));
  assert.match(cordon ?? '', 'resources: ["nodes"], verbs: ["list", "patch"] (a ClusterRole: cluster scope)');
  assert.equal(changes(), []);
});

test('a quota hold in a namespace that runs other workloads: refused before any change unless quota-hold-shared', async () => {
  const { kubeconfig } = cluster([{ namespace: 'team', rules: role.rules }]);
  const other = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-0',
      namespace: 'team',
      ownerReferences: [{ kind: 'StatefulSet', name: 'web', uid: 'u1', apiVersion: 'apps/v1', controller: true }],
    },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
  };
  fixture.server.put(other);
  const message = await failure(runToTheEnd(config(kubeconfig, { namespace: 'team' }), set()));
  assert.match(message ?? '', 'namespace team runs other workloads (pods web-0)');
  assert.match(message ?? '', 'quota-hold-shared: true');
  assert.equal(changes(), []);

  const shared = cluster([{ namespace: 'team', rules: role.rules }]);
  fixture.server.put(other);
  await runToTheEnd(config(shared.kubeconfig, { namespace: 'team', quotaHoldShared: true }), set());
  assert.equal(shared.refused, []);
});

test('a workload that starts in the namespace after deploy: the hold is refused before the pod is deleted', async () => {
  const { kubeconfig } = cluster([{ namespace: 'team', rules: role.rules }]);
  const platform = kube.createExistingPlatform(config(kubeconfig, { namespace: 'team' }), {
    log: silentLog,
    workDir: dir,
  });
  await platform.provision();
  await platform.deploy(set(), redis);
  fixture.server.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'job-x', namespace: 'team' },
    spec: { containers: [] },
  });
  const message = await failure(platform.faults.podDelete.delete('redis-app-1', { hold: true, mode: 'kill' }));
  assert.match(message ?? '', 'namespace team runs other workloads (pods job-x)');
  assert.not.ok(fixture.requests.some((r) => r.method === 'DELETE' && r.path.endsWith('/pods/redis-app-1')));
  assert.not.ok(fixture.requests.some((r) => r.method === 'POST' && r.path.endsWith('/resourcequotas')));
  await platform.teardown();
});

/** The API server answers no access reviews (as one without authorization.k8s.io/v1 would: pageNotFound). */
function withoutReviews(): void {
  const authorize = fixture.authorize!;
  fixture.authorize = (req, auth) =>
    req.path.startsWith('/apis/authorization.k8s.io/') ? pageNotFound() : authorize(req, auth);
}

test('no access reviews (a server without them) and no right to read the namespace: a 403 is not "exists", its rule is named', async () => {
  const { kubeconfig } = cluster([
    { namespace: 'team', rules: role.rules.filter((r) => !r.resources.includes('namespaces')) },
  ]);
  withoutReviews();
  const message = await failure(runToTheEnd(config(kubeconfig, { namespace: 'team' }), set()));
  assert.match(
    message ?? '',
    `cannot read namespace team: namespaces "team" is forbidden: User "${USER}" cannot get resource "namespaces" in API group "" in the namespace "team" (HTTP 403); the kubeconfig's user lacks the RBAC rule apiGroups: [""], resources: ["namespaces"], verbs: ["get"] (a Role in namespace "team", or a ClusterRole)`,
  );
  assert.equal(changes(), [], 'nothing applied on a guess');
});

test('no access reviews, patch allowed but not create: the server-side apply that creates is refused, and named as create', async () => {
  const rules = role.rules.map((r) =>
    r.resources.includes('statefulsets') ? { ...r, verbs: r.verbs.filter((v) => v !== 'create') } : r,
  );
  const { kubeconfig, refused } = cluster([{ namespace: 'team', rules }]);
  withoutReviews();
  const message = await failure(runToTheEnd(config(kubeconfig, { namespace: 'team' }), set()));
  assert.equal(refused, ['PATCH /apis/apps/v1/namespaces/team/statefulsets/redis-app']);
  assert.match(
    message ?? '',
    'redis.yaml:6: StatefulSet redis-app could not be applied: cannot patch statefulsets "redis-app" in namespace team: statefulsets.apps "redis-app" is forbidden:  (HTTP 403); a server-side apply that creates the object is authorized as create too: the kubeconfig\'s user lacks the RBAC rule apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["create"] (a Role in namespace "team", or a ClusterRole)',
  );
  assert.equal(fixture.server.list('ConfigMap'), [], 'what was applied before is removed');
});

test('a discovery request the server never answers: the access check gives up within its bound, says so, and goes on', async () => {
  const { kubeconfig } = cluster([{ namespace: 'team', rules: role.rules }]);
  // Discovery of a group/version (GET /api/v1, /apis/GROUP/VERSION) left unanswered, as by a stalled aggregated
  // API or a proxy that holds the request; everything else answers.
  fixture.route = (req) =>
    /^\/(api\/v1|apis\/[^/]+\/[^/]+)$/.test(req.path) ? new Promise<undefined>(() => undefined) : undefined;
  const warned: string[] = [];
  const startedAt = Date.now();
  let hung: NodeJS.Timeout | undefined;
  try {
    const check = checkAccess(
      {
        clients: kubeClients(loadKubeConfig(kubeconfig)),
        settings: { holdMode: 'quota', rolloutTimeoutMs: 5000, namespace: 'team' },
        log: { ...silentLog, warn: (m) => warned.push(m) },
        timeoutMs: 1000,
      },
      set(),
      redis,
      'team',
    );
    // The test's own bound, so that a check with none fails here instead of hanging the file.
    const stuck = new Promise<never>((_, reject) => {
      hung = setTimeout(() => reject(new Error('the access check was still waiting after 10 s')), 10_000);
    });
    await Promise.race([check, stuck]);
  } finally {
    clearTimeout(hung);
    fixture.route = () => undefined;
  }
  const took = Date.now() - startedAt;
  assert.ok(took < 5000, `the check took ${took} ms against its 1 s bound`);
  assert.equal(warned, [
    "access: could not ask the API server which permissions the kubeconfig's user has (discovery and SelfSubjectAccessReview: no answer within 1 s); a refusal later names its rule",
  ]);
  assert.ok(
    fixture.requests.some((r) => r.path === '/api/v1' || r.path.startsWith('/apis/apps/')),
    'the discovery was asked',
  );
});

test.run();
