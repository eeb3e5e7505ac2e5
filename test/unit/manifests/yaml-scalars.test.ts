import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import { kubectlScalar, resolvePlain } from '../../../src/manifests/yaml-scalars.ts';
import { PLAIN_SCALARS } from '../../support/yaml-scalars-table.ts';

test('plain scalars resolve as go-yaml v2 resolves them (YAML 1.1, its own way)', () => {
  for (const [text, expected] of PLAIN_SCALARS) assert.is(resolvePlain(text), expected, text);
});

test('quoted scalars stay strings; tags resolve as the tag says or are refused with go-yaml’s wording', () => {
  assert.is(kubectlScalar('0755', false, undefined), '0755');
  assert.is(kubectlScalar('yes', false, undefined), 'yes');
  assert.is(kubectlScalar('0755', true, 'tag:yaml.org,2002:str'), '0755');
  assert.is(kubectlScalar('12', true, 'tag:yaml.org,2002:float'), 12);
  assert.is(kubectlScalar('aGk=', true, 'tag:yaml.org,2002:binary'), 'hi');
  assert.is(kubectlScalar('x', true, '!custom'), 'x');
  assert.throws(() => kubectlScalar('abc', true, 'tag:yaml.org,2002:int'), /cannot decode !!str `abc` as a !!int/);
  assert.throws(() => kubectlScalar('.inf', true, undefined), /JSON/);
});

test('a manifest reads as kubectl reads it: mode 0755 is 493, yes is true, a quoted 0755 stays text', () => {
  const [sts] = parseManifestFile(
    'sts.yaml',
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: x
  labels: { a: "0755" }
data:
  k: on
  m: 0755
  0755: key
  yes: key
`,
  );
  assert.equal(sts!.body.data, { k: true, m: 493, '493': 'key', true: 'key' });
  assert.equal(sts!.body.metadata, { name: 'x', labels: { a: '0755' } });
  // Positions are unchanged by the resolution.
  assert.equal(sts!.locate(['data', 'm']), { file: 'sts.yaml', line: 8, column: 6 });
});

test('merge keys (<<) work as in YAML 1.1; a null map key and a tag the text does not fit are refused at file:line', () => {
  const [cm] = parseManifestFile(
    'm.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: &l { a: b }\n  annotations:\n    <<: *l\n    c: d\n',
  );
  assert.equal(cm!.body.metadata, { name: 'x', labels: { a: 'b' }, annotations: { a: 'b', c: 'd' } });
  assert.throws(
    () => parseManifestFile('n.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  ~: v\n'),
    /n\.yaml:6:3: a map key that YAML reads as null/,
  );
  assert.throws(
    () => parseManifestFile('t.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: !!int x\n'),
    /t\.yaml:4:\d+: cannot decode !!str `x` as a !!int/,
  );
});

test('the default StatefulSet’s script mode is octal 0755 = 493, as kubectl sends it', async () => {
  const { loadManifests } = await import('../../../src/manifests/load.ts');
  const set = await loadManifests('manifests');
  const sts = set.objects.find((o) => o.kind === 'StatefulSet')!;
  assert.match(JSON.stringify(sts.body), /"mode":493/);
  assert.not.match(JSON.stringify(sts.body), /"mode":755/);
});

test.run();
