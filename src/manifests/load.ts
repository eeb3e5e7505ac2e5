import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Document,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { InputError } from '../errors.ts';
import { mibText, readInputText } from '../util/input-text.ts';
import { displayPath } from '../util/paths.ts';
import type { JsonObject, Located, ManifestObject, ManifestSet } from './model.ts';
import { kubectlScalar } from './yaml-scalars.ts';

const YAML_FILE = /\.ya?ml$/i;

/**
 * Input limits. The API server refuses any object over 1.5 MiB (etcd's request limit) and a ConfigMap's data
 * over 1 MiB (kubernetes.io/docs/concepts/configuration/configmap): a Redis Cluster's manifests are a few KiB,
 * and far more is a mistake or an attack on the linter's time and memory.
 */
export const MAX_MANIFESTS_BYTES = 4 * 1024 * 1024;
const LIMIT_WHY =
  'Kubernetes refuses any object over 1.5 MiB (a ConfigMap over 1 MiB), so no usable manifest is this large';
/** Aliases a manifest may expand; more is an expansion attack ("billion laughs"). */
const MAX_ALIASES = 1000;

/**
 * Loads every *.yaml / *.yml file directly in `dir` (not in subdirectories), in name order, each possibly
 * holding several documents. Every object keeps its file and line so lint findings and errors can point at them.
 */
export async function loadManifests(dir: string): Promise<ManifestSet> {
  const names = await yamlFilesIn(dir);
  const files: string[] = [];
  const objects: ManifestObject[] = [];
  let total = 0;
  for (const name of names) {
    const file = displayPath(path.join(dir, name));
    files.push(file);
    const text = await readInputText(path.join(dir, name), `manifest ${file}`, MAX_MANIFESTS_BYTES, LIMIT_WHY);
    total += Buffer.byteLength(text);
    if (total > MAX_MANIFESTS_BYTES) {
      throw new InputError(
        `manifests in ${displayPath(dir)} total over ${mibText(MAX_MANIFESTS_BYTES)} (at ${file}), the most this tool reads; ${LIMIT_WHY}`,
      );
    }
    objects.push(...parseManifestFile(file, text));
  }
  return { dir, files, objects };
}

async function yamlFilesIn(dir: string): Promise<string[]> {
  const expected = 'a directory with Kubernetes manifests (*.yaml or *.yml files)';
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new InputError(`manifests directory ${displayPath(dir)} does not exist; expected ${expected}`);
  if (!info.isDirectory())
    throw new InputError(`manifests ${displayPath(dir)} is not a directory; expected ${expected}`);
  const candidates = (await readdir(dir)).filter((n) => YAML_FILE.test(n)).sort();
  const names: string[] = [];
  for (const name of candidates) {
    // stat follows symlinks: a link to a file counts, a dangling one is named rather than crashing the read.
    const entry = await stat(path.join(dir, name)).catch(() => undefined);
    if (!entry)
      throw new InputError(`manifest ${displayPath(path.join(dir, name))} cannot be read (a dangling symlink?)`);
    if (entry.isFile()) names.push(name);
  }
  if (names.length === 0)
    throw new InputError(`manifests directory ${displayPath(dir)} has no *.yaml or *.yml files; expected ${expected}`);
  return names;
}

/** Parses one file's text; `file` is the name used in positions and errors. Exported for tests and fixtures. */
export function parseManifestFile(file: string, text: string): ManifestObject[] {
  const lineCounter = new LineCounter();
  // Duplicate keys are found below in one pass: the parser's own check compares every key with every earlier
  // one of its map, which took minutes on a ConfigMap of many keys.
  // YAML 1.1 syntax and merge keys, as kubectl's go-yaml v2; every scalar is then resolved as kubectl resolves
  // it (see yaml-scalars.ts), so what lint judges and what goes to a server is what kubectl would send.
  const docs = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    version: '1.1',
    merge: true,
  });
  const where = (offset: number): Located => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line: Math.max(line, 1), column: col };
  };
  const fail = (offset: number, message: string) => {
    const at = where(offset);
    return new InputError(`${at.file}:${at.line}:${at.column}: ${message}`);
  };
  if (!Array.isArray(docs) || 'empty' in docs) {
    const err = (docs as unknown as { errors?: Array<{ pos: [number, number]; message: string }> }).errors?.[0];
    if (err) throw fail(err.pos[0], `malformed YAML: ${err.message}`);
    return [];
  }
  const objects: ManifestObject[] = [];
  docs.forEach((doc, docIndex) => {
    const err = doc.errors[0];
    if (err) throw fail(err.pos[0], `malformed YAML: ${err.message}`);
    resolveAsKubectl(doc, fail);
    const duplicate = firstDuplicateKey(doc);
    if (duplicate)
      throw fail(
        duplicate.range?.[0] ?? 0,
        `malformed YAML: Map keys must be unique (${JSON.stringify(String(duplicate.value))} appears twice)`,
      );
    const root = doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) return; // empty document (e.g. only comments)
    const start = root.range[0];
    if (!isMap(root)) {
      throw fail(
        start,
        `expected a Kubernetes object (a mapping with apiVersion, kind and metadata.name), found ${isSeq(root) ? 'a list' : 'a scalar'}`,
      );
    }
    let body: JsonObject;
    try {
      body = doc.toJS({ maxAliasCount: MAX_ALIASES }) as JsonObject;
    } catch {
      // The yaml package throws when aliases expand past maxAliasCount (its defence against "billion laughs").
      throw fail(
        start,
        `more YAML alias expansions than ${MAX_ALIASES}; refused as a resource exhaustion attack (a "billion laughs")`,
      );
    }
    const metadata = body.metadata;
    const meta = metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) ? metadata : {};
    const missing = [
      typeof body.apiVersion === 'string' && body.apiVersion ? undefined : 'apiVersion',
      typeof body.kind === 'string' && body.kind ? undefined : 'kind',
      typeof meta.name === 'string' && meta.name ? undefined : 'metadata.name',
    ].filter((m) => m !== undefined);
    if (missing.length > 0) {
      const at = missing[0] === 'metadata.name' ? nodeAt(doc, ['metadata', 'name']).range?.[0] : undefined;
      throw fail(
        at ?? start,
        `Kubernetes object without ${missing.join(', ')} (every object needs apiVersion, kind and metadata.name)`,
      );
    }
    const object: ManifestObject = {
      apiVersion: body.apiVersion as string,
      kind: body.kind as string,
      name: meta.name as string,
      ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
      body,
      at: where(start),
      docIndex,
      locate: (p) => where(nodeAt(doc, p).range?.[0] ?? start),
    };
    sources.set(object, { doc, text, where });
    objects.push(object);
  });
  return objects;
}

/**
 * Sets every scalar's value to what kubectl reads (yaml-scalars.ts). A `<<` merge key is left to the parser. A
 * map key that resolves to null is refused, as sigs.k8s.io/yaml refuses it ("Unsupported map key").
 */
function resolveAsKubectl(doc: Document.Parsed, fail: (offset: number, message: string) => InputError): void {
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.type === 'PLAIN' && pair.key.source === '<<') return;
      if (isScalar(pair.key) && kubectlValue(pair.key) === null)
        throw fail(pair.key.range?.[0] ?? 0, 'a map key that YAML reads as null; kubectl refuses it (quote the key)');
    },
    Scalar(_, node) {
      if (node.type === 'PLAIN' && node.source === '<<') return;
      try {
        node.value = kubectlValue(node);
      } catch (e) {
        throw fail(node.range?.[0] ?? 0, e instanceof Error ? e.message : String(e));
      }
    },
  });
}

function kubectlValue(node: Scalar): ReturnType<typeof kubectlScalar> {
  const plain = node.type === 'PLAIN' || node.type === undefined;
  return kubectlScalar(node.source ?? (typeof node.value === 'string' ? node.value : ''), plain, node.tag);
}

const sources = new WeakMap<
  ManifestObject,
  { doc: Document.Parsed; text: string; where: (offset: number) => Located }
>();

/**
 * Where line `line` (1-based) of the string at `p` stands in the file, for a string written as a `|` block (as
 * redis.conf in a ConfigMap usually is): points at the line's first non-blank character. undefined for other
 * string styles, whose lines do not map one-to-one onto file lines.
 */
export function locateLineInString(
  object: ManifestObject,
  p: ReadonlyArray<string | number>,
  line: number,
): Located | undefined {
  const source = sources.get(object);
  const node = source && nodeAt(source.doc, p);
  if (!source || !node || !isScalar(node) || node.type !== 'BLOCK_LITERAL' || !node.range) return undefined;
  const starts = blockLineStarts(node, source.text);
  const offset = starts[line - 1];
  if (offset === undefined) return undefined;
  const header = source.where(node.range[0]);
  const indent = /^[ \t]*/.exec(source.text.slice(offset, offset + 200))![0].length;
  return { file: header.file, line: header.line + line, column: indent + 1 };
}

const lineStartsCache = new WeakMap<Scalar, number[]>();

/** Offsets in the file where each line of a `|` block begins (found once per block: lint asks for each line). */
function blockLineStarts(node: Scalar, text: string): number[] {
  let starts = lineStartsCache.get(node);
  if (!starts) {
    starts = [];
    const end = node.range![1];
    for (
      let offset = text.indexOf('\n', node.range![0]);
      offset >= 0 && offset + 1 < end;
      offset = text.indexOf('\n', offset + 1)
    ) {
      starts.push(offset + 1);
    }
    lineStartsCache.set(node, starts);
  }
  return starts;
}

/** The node at `p`, or its nearest existing ancestor. For a map entry, its value (the key when the value is empty). */
/** Where the key at the end of `p` is written (not its value, which may start lines later), or undefined. */
export function locateKey(object: ManifestObject, p: ReadonlyArray<string | number>): Located | undefined {
  const source = sources.get(object);
  const last = p.at(-1);
  if (!source || typeof last !== 'string') return undefined;
  let parent = nodeAt(source.doc, p.slice(0, -1));
  if (isAlias(parent)) parent = parent.resolve(source.doc) ?? parent;
  if (!isMap(parent)) return undefined;
  const pair = pairOf(parent, last);
  const offset = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
  return offset === undefined ? undefined : source.where(offset);
}

function nodeAt(doc: Document.Parsed, p: ReadonlyArray<string | number>): Node {
  let node = doc.contents as Node;
  for (const segment of p) {
    if (isAlias(node)) node = node.resolve(doc) ?? node;
    let next: Node | undefined;
    if (isMap(node)) {
      const pair = pairOf(node, segment);
      if (pair) next = (isEmptyValue(pair.value) ? pair.key : pair.value) as Node;
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment] as Node | undefined;
    }
    if (!next) break;
    node = next;
  }
  return node;
}

const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

/** The entry of `map` under `key`, through an index built on the first lookup (a map may have many keys). */
function pairOf(map: YAMLMap, key: string | number): Pair | undefined {
  let index = keyIndex.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items)
      if (isScalar(item.key) && !index.has(String(item.key.value))) index.set(String(item.key.value), item);
    keyIndex.set(map, index);
  }
  return index.get(String(key));
}

/** The first key that repeats an earlier key of its map (YAML and the API server refuse both), or undefined. */
function firstDuplicateKey(doc: Document.Parsed): Scalar | undefined {
  let found: Scalar | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key)) continue;
        if (seen.has(key.value)) {
          found = key;
          return visit.BREAK;
        }
        seen.add(key.value);
      }
      return undefined;
    },
  });
  return found;
}

/** `key:` with nothing after it parses as an empty null scalar; point at the key then. */
function isEmptyValue(value: unknown): boolean {
  return (
    !value ||
    (isScalar(value) && value.range !== undefined && value.range !== null && value.range[0] === value.range[1])
  );
}
