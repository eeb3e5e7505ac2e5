import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerEnv, expandVars, type PodFields } from '../../../src/platform/local/expand.ts';

const vars: Record<string, string> = { POD_IP: '127.0.50.7', EMPTY: '' };
const x = (s: string) => expandVars(s, (n) => vars[n]);

test('$(VAR) expands like Kubernetes: defined names replaced, undefined ones kept as written', () => {
  assert.is(x('--cluster-announce-ip=$(POD_IP)'), '--cluster-announce-ip=127.0.50.7');
  assert.is(x('$(POD_IP):$(POD_IP)'), '127.0.50.7:127.0.50.7');
  assert.is(x('a$(EMPTY)b'), 'ab');
  assert.is(x('$(NOPE)'), '$(NOPE)');
});

test('$$ escapes, and any other $ is literal', () => {
  assert.is(x('$$(POD_IP)'), '$(POD_IP)');
  assert.is(x('$$$(POD_IP)'), '$127.0.50.7');
  assert.is(x('$$'), '$');
  assert.is(x('cost $5'), 'cost $5');
  assert.is(x('$POD_IP'), '$POD_IP', 'shell syntax is not Kubernetes syntax');
  assert.is(x('end$'), 'end$');
  assert.is(x('$(POD_IP'), '$(POD_IP', 'unclosed reference is literal');
});

const pod: PodFields = { name: 'redis-app-3', namespace: 'ns', uid: 'u-1', ip: '127.0.50.9', labels: { app: 'redis' } };

test('the environment resolves fieldRefs and expands values against the variables before them', () => {
  const warnings: string[] = [];
  const env = containerEnv(
    [
      { name: 'LATER', value: '$(DIR)/x' },
      { name: 'POD_IP', fieldRef: 'status.podIP' },
      { name: 'NAME', fieldRef: 'metadata.name' },
      { name: 'APP', fieldRef: "metadata.labels['app']" },
      { name: 'DIR', value: '/data' },
      { name: 'FILE', value: '$(DIR)/$(NAME).conf' },
      { name: 'SECRET' },
    ],
    pod,
    (m) => warnings.push(m),
  );
  assert.equal(Object.fromEntries(env), {
    LATER: '$(DIR)/x',
    POD_IP: '127.0.50.9',
    NAME: 'redis-app-3',
    APP: 'redis',
    DIR: '/data',
    FILE: '/data/redis-app-3.conf',
    SECRET: '',
  });
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /SECRET/);
});

test('a fieldRef the local platform cannot provide is an error naming it', () => {
  assert.throws(
    () => containerEnv([{ name: 'HOST', fieldRef: 'status.hostIP' }], pod, () => {}),
    /HOST.*status\.hostIP/,
  );
});

test.run();
