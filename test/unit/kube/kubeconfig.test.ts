import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kubeconfigInput, loadKubeConfig, redactUrl, secretsIn } from '../../../src/platform/kube/kubeconfig.ts';
import { inputErrorOf } from '../../support/input-error.ts';
import { beforeAll } from '../../support/setup.ts';

const BAD = 'test/fixtures/kubeconfig/yaml-error-with-token.yaml';
/** Any part of the fixture's secrets (js-yaml quotes lines cut short, so the heads are what would show). */
const LEAKS = /fixture-token|fixture-key|fixture-pass/;

const valid = (user: string) => `apiVersion: v1
kind: Config
clusters:
  - name: c
    cluster: { server: "https://127.0.9.1:6443" }
users:
  - name: u
    user:
${user}
contexts:
  - name: x
    context: { cluster: c, user: u }
current-context: x
`;

let dir = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-kubeconfig-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a YAML error names the file and line, and quotes nothing of it (client-node itself would)', async () => {
  const msg = inputErrorOf(() => loadKubeConfig(BAD));
  assert.match(msg, /^kubeconfig test\/fixtures\/kubeconfig\/yaml-error-with-token\.yaml:12:\d+: not valid YAML/);
  assert.not.match(msg, LEAKS);
  // Why the file is parsed here first: client-node's own loader quotes the lines around the fault.
  const text = await readFile(BAD, 'utf8');
  assert.throws(() => new KubeConfig().loadFromString(text), LEAKS);
});

test('a structural fault is InputError naming the kubeconfig; a missing file likewise', async () => {
  const file = join(dir, 'no-user-name.yaml');
  await writeFile(file, valid('      token: abcdefgh-not-printed').replace('  - name: u\n', '  - nome: u\n'));
  const msg = inputErrorOf(() => loadKubeConfig(file, { name: 'kubeconfig K' }));
  assert.match(msg, /^kubeconfig K: users\[0\]\.name is missing/);
  assert.not.match(msg, /abcdefgh/);
  assert.match(
    inputErrorOf(() => loadKubeConfig(join(dir, 'absent'))),
    /absent: no such file; expected a kubeconfig file/,
  );
});

test('an alias bomb and a UTF-16 file are refused as bad input naming the kubeconfig', async () => {
  const bomb = join(dir, 'bomb.yaml');
  const layers = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++)
    layers.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  await writeFile(bomb, `${layers.join('\n')}\n`);
  assert.match(
    inputErrorOf(() => loadKubeConfig(bomb)),
    /bomb\.yaml: more YAML alias expansions than a kubeconfig needs/,
  );
  const utf16 = join(dir, 'utf16.yaml');
  await writeFile(
    utf16,
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid('      token: abcd'), 'utf16le')]),
  );
  assert.match(
    inputErrorOf(() => loadKubeConfig(utf16)),
    /utf16\.yaml is encoded as UTF-16LE; save it as UTF-8/,
  );
});

test('secrets: tokens, keys, passwords, auth-provider and exec env secrets, URL credentials; told before use', async () => {
  const body = {
    clusters: [
      { name: 'c', cluster: { server: 'https://ann:p%40ss-word@h:6443', 'certificate-authority-data': 'public-ca' } },
    ],
    users: [
      {
        name: 'a',
        user: {
          token: 'tok-1234',
          'client-key-data': 'key-5678',
          'client-certificate-data': 'cert-public',
          username: 'bob',
          password: 'pw-9999',
        },
      },
      {
        name: 'b',
        user: {
          'auth-provider': {
            name: 'oidc',
            config: {
              'id-token': 'idt-1111',
              'refresh-token': 'rft-2222',
              'client-secret': 'cs-3333',
              'client-id': 'public-id',
            },
          },
        },
      },
      {
        name: 'c',
        user: {
          exec: {
            command: 'x',
            env: [
              { name: 'API_TOKEN', value: 'env-4444' },
              { name: 'REGION', value: 'eu-west-1' },
            ],
          },
        },
      },
    ],
  };
  const found = secretsIn(body).sort();
  assert.equal(
    found,
    [
      'cs-3333',
      'env-4444',
      'idt-1111',
      'key-5678',
      'p%40ss-word',
      'p@ss-word',
      'pw-9999',
      'rft-2222',
      'tok-1234',
    ].sort(),
  );

  const told: string[] = [];
  const file = join(dir, 'ok.yaml');
  await writeFile(file, valid('      token: told-token-0000'));
  const kc = loadKubeConfig(file, { secret: (s) => told.push(s) });
  assert.equal(told, ['told-token-0000']);
  assert.is(kc.getCurrentUser()?.token, 'told-token-0000');
});

test('redactUrl drops user and password from every URL in a text', () => {
  assert.is(
    redactUrl('failed: https://u:p@h:6443/api and http://tok@x/y'),
    'failed: https://***@h:6443/api and http://***@x/y',
  );
  assert.is(redactUrl('https://h:6443/api?x=a@b'), 'https://h:6443/api?x=a@b');
});

test('kubeconfig given as content: a 0600 file in the run dir; a value that is no path is never repeated', async () => {
  const content = valid('      token: content-token-0000');
  const { file, name } = await kubeconfigInput(content, dir);
  assert.is(name, 'kubeconfig (given as content)');
  assert.is((await stat(file)).mode & 0o777, 0o600);
  assert.ok(file.startsWith(dir));
  assert.is(loadKubeConfig(file, { name }).getCurrentUser()?.token, 'content-token-0000');

  assert.is((await kubeconfigInput('./kube/config.yaml', dir)).name, 'kubeconfig kube/config.yaml');
  const b64 = Buffer.from(content).toString('base64');
  const hidden = await kubeconfigInput(b64, dir);
  assert.not.match(hidden.name, b64.slice(0, 20));
  assert.not.match(
    inputErrorOf(() => loadKubeConfig(hidden.file, { name: hidden.name })),
    b64.slice(0, 20),
  );
});

test.run();
