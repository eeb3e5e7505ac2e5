import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import { redisAuth } from '../../../src/redis/auth.ts';
import { authProblem } from '../../../src/redis/connect.ts';
import { redact, redactDeep, registerSecret } from '../../../src/util/secrets.ts';
import { inputErrorOf } from '../../support/input-error.ts';

function deployment(conf: string, args: string, env = '', extra = '') {
  const text = `apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data:
  redis.conf: |
${conf.replace(/^/gm, '    ')}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  template:
    spec:
      containers:
      - name: redis
        image: redis:7
        command: [redis-server, /etc/redis/redis.conf${args}]
        env: [${env}]
        volumeMounts: [{name: conf, mountPath: /etc/redis}]
      volumes: [{name: conf, configMap: {name: conf}}]
${extra}`;
  return redisDeployment({ dir: 'mem', files: ['mem.yaml'], objects: parseManifestFile('mem.yaml', text) });
}

test('no requirepass, no masterauth: no password', () => {
  assert.is(redisAuth(deployment('cluster-enabled yes', '')), undefined);
});

test('requirepass in redis.conf; masteruser names the ACL user; registered as a secret', () => {
  const auth = redisAuth(deployment('requirepass conf-pass-1\nmasteruser app', ''))!;
  assert.equal(auth, {
    password: 'conf-pass-1',
    username: 'app',
    source: 'requirepass in /etc/redis/redis.conf (mem.yaml:6)',
  });
  assert.is(redact('said conf-pass-1 twice: conf-pass-1'), 'said *** twice: ***');
});

test('an argument from env from a Secret in the manifests; an explicit password wins', () => {
  const secret = '---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: from-secret-2}\n';
  const d = deployment(
    'cluster-enabled yes',
    ', --requirepass, $(PW)',
    '{name: PW, valueFrom: {secretKeyRef: {name: s, key: pw}}}',
    secret,
  );
  const auth = redisAuth(d)!;
  assert.is(auth.password, 'from-secret-2');
  assert.match(auth.source, /^redis-server argument --requirepass \(mem\.yaml:\d+\) via env PW from Secret s key pw$/);
  assert.equal(redisAuth(d, { password: 'given-3', source: 'the redis-password input' }), {
    password: 'given-3',
    source: 'the redis-password input',
  });
});

test('a password the manifests set but do not hold is bad input naming where the tool looked', () => {
  const d = deployment(
    'cluster-enabled yes',
    ', --requirepass, $(PW)',
    '{name: PW, valueFrom: {secretKeyRef: {name: elsewhere, key: pw}}}',
  );
  assert.match(
    inputErrorOf(() => redisAuth(d)),
    /^redis-server argument --requirepass \(mem\.yaml:\d+\) is env PW, from Secret elsewhere key pw, which is not among the manifests; .*Looked in: requirepass .*redis-password input/,
  );
  const templated = deployment('requirepass ${REDIS_PASSWORD}', '');
  assert.match(
    inputErrorOf(() => redisAuth(templated)),
    /is a placeholder an init container fills in/,
  );
});

test('authProblem names the source of a refused password, or where the tool looked for a missing one', () => {
  const target = { host: '127.0.0.2', port: 6379 };
  assert.is(authProblem('Connection is closed.', target), undefined);
  assert.match(
    authProblem('NOAUTH Authentication required.', target)!,
    /^Redis demands a password and none was found; looked in requirepass/,
  );
  const withAuth = { ...target, auth: { password: 'x-secret', source: 'the redis-password input' } };
  assert.match(
    authProblem('WRONGPASS invalid username-password pair or user is disabled.', withAuth)!,
    /^Redis refused the password from the redis-password input: WRONGPASS/,
  );
});

test('redactDeep hides secrets in every string of a report-like value; short values are not secrets', () => {
  registerSecret('deep-secret-4');
  registerSecret('ab');
  assert.equal(redactDeep({ a: ['x deep-secret-4 y', 1, null], b: { c: 'deep-secret-4' }, d: 'ab' }), {
    a: ['x *** y', 1, null],
    b: { c: '***' },
    d: 'ab',
  });
});

test.run();
