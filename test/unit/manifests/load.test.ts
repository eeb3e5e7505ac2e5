import { mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inputErrorOf } from '../../support/input-error.ts';
import { InputError } from '../../../src/errors.ts';
import {
  loadManifests,
  locateLineInString,
  MAX_MANIFESTS_BYTES,
  parseManifestFile,
} from '../../../src/manifests/load.ts';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

test('default manifests: every file, sorted, multi-document, paths relative to the working directory', async () => {
  const set = await loadManifests('manifests');
  assert.equal(set.files, [
    'manifests/access-service.yaml',
    'manifests/configmap.yaml',
    'manifests/headless-service.yaml',
    'manifests/persistentvolumes.yaml',
    'manifests/statefulset.yaml',
    'manifests/storageclass.yaml',
  ]);
  const pvs = set.objects.filter((o) => o.kind === 'PersistentVolume');
  assert.equal(
    pvs.map((o) => o.name),
    ['redis-0', 'redis-1', 'redis-2', 'redis-3', 'redis-4', 'redis-5'],
  );
  assert.equal(
    pvs.map((o) => o.docIndex),
    [0, 1, 2, 3, 4, 5],
  );
  // The first document starts after the header comment; each later one right after its `---`.
  assert.equal(pvs[0]!.at, { file: 'manifests/persistentvolumes.yaml', line: 8, column: 1 });
  assert.equal(pvs[1]!.at.line, 24);
  const sts = set.objects.find((o) => o.kind === 'StatefulSet')!;
  assert.is(sts.apiVersion, 'apps/v1');
  assert.is(sts.name, 'redis-app');
  assert.is(sts.namespace, undefined);
});

test('an absolute directory inside the working directory is shown relative to it', async () => {
  const set = await loadManifests(path.resolve('manifests'));
  assert.is(set.files[0], 'manifests/access-service.yaml');
});

test('locate points at the value of a nested field, through lists', async () => {
  const set = await loadManifests('test/fixtures/seed');
  const sts = set.objects.find((o) => o.kind === 'StatefulSet')!;
  const image = sts.locate(['spec', 'template', 'spec', 'containers', 0, 'image']);
  assert.equal(image, { file: 'test/fixtures/seed/redis-statefulset.yml', line: 30, column: 16 });
  assert.equal(sts.locate(['apiVersion']), { file: 'test/fixtures/seed/redis-statefulset.yml', line: 2, column: 13 });
  const pv1 = set.objects.find((o) => o.kind === 'PersistentVolume' && o.name === 'redis-1')!;
  assert.equal(pv1.locate(['spec', 'nfs', 'server']), {
    file: 'test/fixtures/seed/redis-pv.yml',
    line: 30,
    column: 15,
  });
  const args = sts.locate(['spec', 'template', 'spec', 'containers', 0, 'args', 2]);
  assert.equal([args.line, args.column], [36, 13]);
});

test('locate of a missing path gives the nearest existing ancestor (its value)', async () => {
  const set = await loadManifests('test/fixtures/seed');
  const sts = set.objects.find((o) => o.kind === 'StatefulSet')!;
  // No spec.selector in the seed: the spec mapping itself, which starts at serviceName.
  assert.equal(sts.locate(['spec', 'selector', 'matchLabels']), {
    file: 'test/fixtures/seed/redis-statefulset.yml',
    line: 7,
    column: 3,
  });
  // A list index past the end: the list.
  assert.is(sts.locate(['spec', 'template', 'spec', 'containers', 5, 'image']).line, 29);
  // The empty path: the document.
  assert.equal(sts.locate([]), sts.at);
});

test('locate of a key with an empty value points at the key', () => {
  const [obj] = parseManifestFile('f.yaml', 'apiVersion: v1\nkind: X\nmetadata:\n  name: a\nspec:\n  foo:\n  bar: 1\n');
  assert.equal(obj!.locate(['spec', 'foo']), { file: 'f.yaml', line: 6, column: 3 });
  assert.equal(obj!.locate(['spec', 'bar']), { file: 'f.yaml', line: 7, column: 8 });
});

test('lines of a | block string map onto file lines', async () => {
  const set = await loadManifests('test/fixtures/seed');
  const cm = set.objects.find((o) => o.kind === 'ConfigMap')!;
  assert.equal(locateLineInString(cm, ['data', 'redis.conf'], 3), {
    file: 'test/fixtures/seed/redis-conf.yml',
    line: 12,
    column: 5,
  });
  assert.is(locateLineInString(cm, ['data', 'redis.conf'], 99), undefined);
  const [flow] = parseManifestFile(
    'f.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: "a\\nb"\n',
  );
  assert.is(locateLineInString(flow!, ['data', 'k'], 1), undefined, 'a quoted string has no line-by-line mapping');
});

test('empty documents and comment-only documents are skipped', () => {
  const objs = parseManifestFile(
    'f.yaml',
    '---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n',
  );
  assert.is(objs.length, 1);
  assert.is(objs[0]!.docIndex, 1);
  assert.equal(parseManifestFile('f.yaml', ''), []);
});

test('malformed YAML names file:line:column and the parser message', async () => {
  const err = await rejection(loadManifests('test/fixtures/manifests/broken-yaml'));
  assert.instance(err, InputError);
  assert.is(
    err.message,
    'test/fixtures/manifests/broken-yaml/statefulset.yaml:11:1: malformed YAML: Tabs are not allowed as indentation',
  );
  assert.match(
    inputErrorOf(() => parseManifestFile('f.yaml', 'a: [1, 2\n')),
    /^f\.yaml:2:1: malformed YAML: /,
  );
  assert.match(
    inputErrorOf(() => parseManifestFile('f.yaml', 'apiVersion: v1\napiVersion: v2\n')),
    /^f\.yaml:2:1: malformed YAML: Map keys must be unique/,
  );
});

test('documents that are not Kubernetes objects are refused with file:line', () => {
  assert.match(
    inputErrorOf(() => parseManifestFile('f.yaml', 'apiVersion: v1\nkind: X\nmetadata:\n  name: a\n---\n- 1\n')),
    /^f\.yaml:6:1: expected a Kubernetes object .*found a list/,
  );
  assert.match(
    inputErrorOf(() => parseManifestFile('f.yaml', 'just text\n')),
    /^f\.yaml:1:1: .*found a scalar/,
  );
  assert.match(
    inputErrorOf(() => parseManifestFile('f.yaml', 'kind: X\nmetadata:\n  name: a\n')),
    /^f\.yaml:1:1: Kubernetes object without apiVersion/,
  );
  assert.match(
    inputErrorOf(() => parseManifestFile('f.yaml', 'apiVersion: v1\nkind: X\nmetadata:\n  labels: {}\n')),
    /^f\.yaml:4:3: Kubernetes object without metadata\.name/,
  );
});

test('a missing directory, a file, and a directory without YAML are refused saying what was expected', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'manifests-'));
  try {
    const missing = await rejection(loadManifests('no/such/dir'));
    assert.instance(missing, InputError);
    assert.match(
      missing.message,
      /^manifests directory no\/such\/dir does not exist; expected a directory with Kubernetes manifests \(\*\.yaml or \*\.yml files\)/,
    );
    const file = await rejection(loadManifests('manifests/statefulset.yaml'));
    assert.match(file.message, /manifests\/statefulset\.yaml is not a directory/);
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    const empty = await rejection(loadManifests(dir));
    assert.instance(empty, InputError);
    assert.match(empty.message, /has no \*\.yaml or \*\.yml files/);
    await symlink(path.join(dir, 'gone.yaml'), path.join(dir, 'dangling.yml'));
    assert.match((await rejection(loadManifests(dir))).message, /dangling\.yml cannot be read/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the variants load on their own (symlinked defaults included)', async () => {
  const topo = await loadManifests('test/fixtures/manifests/seed-topology');
  assert.is(topo.objects.filter((o) => o.kind === 'PersistentVolume').length, 3);
  assert.is(topo.files.length, 6);
  const off = await loadManifests('test/fixtures/manifests/nodes-conf-off-pvc');
  assert.is(off.objects.filter((o) => o.kind === 'PersistentVolume').length, 6);
});

/** A directory holding the given files, removed after `fn`. */
async function withManifests(
  files: Record<string, string | Buffer>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'manifests-limits-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const CONFIG_MAP =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  redis.conf: "cluster-enabled yes # café"\n';

test('a 50 MB manifest is refused before it is read, naming the file and the limit', async () => {
  await withManifests({ 'big.yaml': '' }, async (dir) => {
    await truncate(path.join(dir, 'big.yaml'), 50 * 1024 * 1024); // sparse: nothing to read, only its size
    const err = await rejection(loadManifests(dir));
    assert.instance(err, InputError);
    assert.match(
      err.message,
      /^manifest .*big\.yaml is 50 MiB, over the 4\.0 MiB this tool reads; Kubernetes refuses any object over 1\.5 MiB/,
    );
  });
  // The limit is on all files together too.
  const part = `${CONFIG_MAP}  pad: "${'x'.repeat(Math.ceil(MAX_MANIFESTS_BYTES / 2))}"\n`;
  await withManifests({ 'a.yaml': part, 'b.yaml': part }, async (dir) => {
    assert.match(
      (await rejection(loadManifests(dir))).message,
      /^manifests in .* total over 4\.0 MiB \(at .*b\.yaml\)/,
    );
  });
});

test('a YAML alias bomb is bad input naming the file', async () => {
  const layers = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: { name: lol }',
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ];
  for (let i = 1; i < 9; i++) {
    const [name, prev] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
    layers.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  await withManifests({ 'bomb.yaml': `${layers.join('\n')}\n` }, async (dir) => {
    const err = await rejection(loadManifests(dir));
    assert.instance(err, InputError);
    assert.match(
      err.message,
      /bomb\.yaml:1:1: more YAML alias expansions than 1000; refused as a resource exhaustion attack/,
    );
  });
});

test('UTF-16 and Latin-1 files are refused with the encoding named; a UTF-8 byte-order mark is fine', async () => {
  const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CONFIG_MAP, 'utf16le')]);
  const utf16be = Buffer.from(CONFIG_MAP, 'utf16le').swap16();
  const latin1 = Buffer.from(CONFIG_MAP, 'latin1');
  for (const [name, bytes, expected] of [
    ['le.yaml', utf16le, /le\.yaml is encoded as UTF-16LE; save it as UTF-8/],
    ['be.yaml', utf16be, /be\.yaml is encoded as UTF-16BE \(no byte-order mark\)/],
    ['l1.yaml', latin1, /l1\.yaml:6: not UTF-8 \(the bytes there look like Latin-1 or Windows-1252\)/],
  ] as const) {
    await withManifests({ [name]: bytes }, async (dir) => {
      const err = await rejection(loadManifests(dir));
      assert.instance(err, InputError);
      assert.match(err.message, expected);
    });
  }
  await withManifests(
    { 'bom.yaml': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CONFIG_MAP)]) },
    async (dir) => {
      assert.is((await loadManifests(dir)).objects[0]!.apiVersion, 'v1');
    },
  );
});

test('a map of many keys: duplicates are still found (in one pass), and positions are found through an index', () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: v${i}`);
  const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many\ndata:\n${keys.join('\n')}\n`;
  const [obj] = parseManifestFile('many.yaml', text);
  assert.equal(obj!.locate(['data', 'k19999']), { file: 'many.yaml', line: 20_005, column: 11 });
  assert.match(
    inputErrorOf(() => parseManifestFile('dup.yaml', `${text}  k7: again\n`)),
    /^dup\.yaml:20006:3: malformed YAML: Map keys must be unique \("k7" appears twice\)/,
  );
});

test.run();
