import path from 'node:path/posix';
import { dataOf } from './env.ts';
import { locateLineInString } from './load.ts';
import type { Located, ManifestObject, ManifestSet, RedisDeployment } from './model.ts';
import { isObject, namespaceOf, objectsAt, scalarText, stringsAt, type Path } from './object-path.ts';
import { isShellScript, shellCommands, shellInvocation } from './shell.ts';

/**
 * Manifests that form the Redis Cluster themselves: a Job or a bare Pod, a postStart hook of a container of the
 * Redis StatefulSet, or a script of its pods (init container, the container's own wrapper) that runs
 * `redis-cli --cluster create` (valkey-cli too) or CLUSTER MEET with CLUSTER ADDSLOTS/ADDSLOTSRANGE. Read from
 * the commands the shell reader finds (shell.ts), in `sh -c` scripts and in the ConfigMap/Secret files they run.
 */
export interface SelfBootstrap {
  /** What runs it. */
  kind: 'Job' | 'Pod' | 'postStart' | 'initContainer' | 'container';
  /** For the report: "Job redis-cluster-create", "postStart hook of container redis (StatefulSet redis-cluster)". */
  description: string;
  /** The Job or Pod object, or the Redis StatefulSet for hooks and scripts of its pods. */
  object: ManifestObject;
  how: 'cluster-create' | 'meet-addslots';
  /** Where the creating command is written (the script's line where the manifests hold it). */
  at: Located;
  /** What makes a re-run on a formed cluster harmless, when the script has it (cluster-create only). */
  guard?: string;
}

const CLIS = new Set(['redis-cli', 'valkey-cli']);

/** A script (or a bare argv) a container runs, with where each of its lines is written. */
interface Script {
  text: string;
  locate(line: number): Located;
}

/** Every self-bootstrap of the manifests, in document order: Jobs and Pods first, then the Redis pods' own. */
export function findSelfBootstraps(set: ManifestSet, redis: RedisDeployment | undefined): SelfBootstrap[] {
  const found: SelfBootstrap[] = [];
  for (const obj of set.objects) {
    const kind = obj.kind === 'Job' && obj.apiVersion.startsWith('batch/') ? 'Job' : obj.kind === 'Pod' ? 'Pod' : '';
    if (!kind) continue;
    const specPath: Path = kind === 'Job' ? ['spec', 'template', 'spec'] : ['spec'];
    const hit = inPodSpec(set, obj, specPath, ['initContainers', 'containers']);
    if (hit) found.push({ kind, description: `${kind} ${obj.name}`, object: obj, ...hit.found });
  }
  if (redis) {
    const sts = redis.statefulSet;
    const spec: Path = ['spec', 'template', 'spec'];
    objectsAt(sts.body, [...spec, 'containers']).forEach((c, i) => {
      const hookPath: Path = [...spec, 'containers', i, 'lifecycle', 'postStart', 'exec', 'command'];
      const hook = fromArgv(set, sts, spec, [...spec, 'containers', i], hookPath, stringsAt(c, hookPath.slice(5)));
      const name = scalarText(c.name);
      if (hook)
        found.push({
          kind: 'postStart',
          description: `postStart hook of container ${name} (StatefulSet ${sts.name})`,
          object: sts,
          ...hook,
        });
    });
    const hit = inPodSpec(set, sts, spec, ['initContainers', 'containers']);
    if (hit)
      found.push({
        kind: hit.field === 'initContainers' ? 'initContainer' : 'container',
        description: `${hit.field === 'initContainers' ? 'init container' : 'container'} ${hit.name} (StatefulSet ${sts.name})`,
        object: sts,
        ...hit.found,
      });
  }
  return found;
}

/** How the report names the bootstrap: "by the manifests (Job x)". */
export function bootstrapSourceText(b: SelfBootstrap): string {
  return `by the manifests (${b.description})`;
}

type Found = Pick<SelfBootstrap, 'how' | 'at' | 'guard'>;

function inPodSpec(
  set: ManifestSet,
  obj: ManifestObject,
  spec: Path,
  fields: Array<'initContainers' | 'containers'>,
): { found: Found; field: 'initContainers' | 'containers'; name: string } | undefined {
  for (const field of fields) {
    const containers = objectsAt(obj.body, [...spec, field]);
    for (let i = 0; i < containers.length; i++) {
      const c = containers[i]!;
      const cPath: Path = [...spec, field, i];
      const command = stringsAt(c, ['command']);
      const args = stringsAt(c, ['args']);
      const argvPath = (k: number): Path =>
        k < command.length ? [...cPath, 'command', k] : [...cPath, 'args', k - command.length];
      const found = fromArgv(set, obj, spec, cPath, argvPath, [...command, ...args]);
      if (found) return { found, field, name: scalarText(c.name) };
    }
  }
  return undefined;
}

/** The scripts an argv runs (its `sh -c` script, mounted files it names, or itself), searched for a bootstrap. */
function fromArgv(
  set: ManifestSet,
  obj: ManifestObject,
  spec: Path,
  cPath: Path,
  argvPath: Path | ((k: number) => Path),
  argv: string[],
): Found | undefined {
  if (argv.length === 0) return undefined;
  const at = (k: number): Path => (typeof argvPath === 'function' ? argvPath(k) : [...argvPath, k]);
  const scripts: Script[] = [];
  const shell = shellInvocation(argv);
  const words = [...argv];
  if (shell) {
    const p = at(shell.scriptIndex);
    scripts.push({ text: shell.script, locate: (line) => locateLineInString(obj, p, line) ?? obj.locate(p) });
    words.push(
      ...shellCommands(shell.script)
        .flat()
        .map((w) => w.text),
    );
  } else {
    // A bare argv (["redis-cli", "--cluster", "create", ...]) reads as a one-line script.
    scripts.push({ text: argv.join(' '), locate: () => obj.locate(at(0)) });
  }
  for (const w of words) {
    if (!w.startsWith('/') || w.includes('$')) continue;
    const file = mountedFile(set, obj, spec, cPath, w);
    if (file && isShellScript(file.text)) scripts.push(file);
  }
  for (const s of scripts) {
    const found = bootstrapIn(s);
    if (found) return found;
  }
  return undefined;
}

/** `redis-cli --cluster create` in a script, or CLUSTER MEET together with CLUSTER ADDSLOTS[RANGE]. */
function bootstrapIn(script: Script): Found | undefined {
  let meet = false;
  let addSlots = false;
  for (const words of shellCommands(script.text)) {
    const texts = words.map((w) => w.text);
    const cli = texts.findIndex((t) => CLIS.has(path.basename(t)));
    const lower = texts.map((t) => t.toLowerCase());
    if (cli >= 0) {
      const k = lower.indexOf('--cluster', cli);
      if (k >= 0 && lower[k + 1] === 'create') {
        const at = script.locate(lineOf(script.text, /--cluster[\s\\]+create/));
        const guard = guardOf(script.text);
        return { how: 'cluster-create', at, ...(guard ? { guard } : {}) };
      }
    }
    const c = lower.indexOf('cluster');
    if (c >= 0 && lower[c + 1] === 'meet') meet = true;
    if (c >= 0 && (lower[c + 1] === 'addslots' || lower[c + 1] === 'addslotsrange')) addSlots = true;
  }
  if (meet && addSlots) return { how: 'meet-addslots', at: script.locate(lineOf(script.text, /addslots/i)) };
  return undefined;
}

/**
 * What keeps `--cluster create` from failing on a formed cluster (redis-cli refuses a node that knows others or
 * holds slots: "[ERR] Node … is not empty"): a look at the cluster first, or the failure tolerated.
 */
function guardOf(text: string): string | undefined {
  const look =
    /cluster_known_nodes|cluster_state|cluster_slots_assigned|--cluster[\s\\]+check|cluster\s+(info|nodes)/i.exec(text);
  if (look) return `the script checks ${look[0]} (line ${lineOf(text, new RegExp(escape(look[0])))})`;
  const i = text.search(/--cluster[\s\\]+create/);
  // The create command's logical line (backslash continuations joined): `… || true`, `… || exit 0`.
  const rest = text.slice(i).replace(/\\\n/g, ' ');
  const logical = rest.split('\n')[0]!;
  if (logical.includes('||')) return 'its failure is tolerated (||)';
  return undefined;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function lineOf(text: string, re: RegExp): number {
  const i = text.search(re);
  return i < 0 ? 1 : text.slice(0, i).split('\n').length;
}

/** A file from a ConfigMap or Secret volume mounted in the container (items and defaultMode as the kubelet). */
function mountedFile(set: ManifestSet, obj: ManifestObject, spec: Path, cPath: Path, file: string): Script | undefined {
  const volumes = objectsAt(obj.body, [...spec, 'volumes']);
  for (const m of objectsAt(obj.body, [...cPath, 'volumeMounts'])) {
    const mountPath = path.resolve('/', scalarText(m.mountPath));
    const rel = path.relative(mountPath, path.resolve('/', file));
    if (rel.startsWith('..') || rel === '') continue;
    const v = volumes.find((x) => x.name === m.name);
    const ref = isObject(v?.configMap) ? v.configMap : isObject(v?.secret) ? v.secret : undefined;
    if (!ref) continue;
    const kind = isObject(v?.configMap) ? 'ConfigMap' : 'Secret';
    const name = scalarText(kind === 'Secret' ? ref.secretName : ref.name);
    const items = objectsAt(ref, ['items']);
    const key = items.length ? scalarText(items.find((it) => path.normalize(scalarText(it.path)) === rel)?.key) : rel;
    const text = dataOf(set, kind, name)[key];
    if (text === undefined) continue;
    const source = set.objects.find((o) => o.kind === kind && o.name === name && namespaceOf(o) === namespaceOf(obj));
    return {
      text,
      locate: (line) =>
        (source ? locateLineInString(source, ['data', key], line) : undefined) ??
        source?.locate(['data', key]) ??
        obj.at,
    };
  }
  return undefined;
}

/** Who forms the cluster in this run, and what that changes in what is deployed. */
export interface BootstrapDecision {
  by: 'self' | 'tool';
  /** What the manifests do to form the cluster (empty when they do nothing the tool recognises). */
  found: SelfBootstrap[];
  /** For the report: "by the manifests (Job x)", "by the tool". */
  source: string;
  /** Jobs and Pods that form the cluster, not deployed with `bootstrap: tool` (they would race the tool). */
  withheld: ManifestObject[];
  /** What the run says about it (a withheld Job, a hook that races the tool, self with nothing found). */
  note?: string;
}

/**
 * auto: self when the manifests form the cluster, else tool. tool with a Job or Pod that forms it: that object is
 * not deployed (it would race the tool's bootstrap: whichever comes second fails or, worse, half-forms a second
 * layout); a hook or script of the Redis pods cannot be left out, and races it: said in the note.
 */
export function decideBootstrap(asked: 'self' | 'tool' | 'auto', found: SelfBootstrap[]): BootstrapDecision {
  const by = asked === 'auto' ? (found.length ? 'self' : 'tool') : asked;
  if (by === 'self') {
    const first = found[0];
    return {
      by,
      found,
      source: first ? bootstrapSourceText(first) : 'by the manifests',
      withheld: [],
      ...(first
        ? {}
        : {
            note: 'bootstrap self: nothing in the manifests is recognised as forming the cluster; waiting for it anyway',
          }),
    };
  }
  const withheld = found.filter((f) => f.kind === 'Job' || f.kind === 'Pod').map((f) => f.object);
  const racing = found.filter((f) => f.kind !== 'Job' && f.kind !== 'Pod');
  const notes = [
    ...(withheld.length
      ? [
          `bootstrap tool: ${found
            .filter((f) => withheld.includes(f.object))
            .map((f) => f.description)
            .join(', ')} forms the cluster itself and is not run (the tool forms it instead)`,
        ]
      : []),
    ...racing.map((f) => `bootstrap tool: the ${f.description} also forms the cluster and races the tool's bootstrap`),
  ];
  return { by, found, source: 'by the tool', withheld, ...(notes.length ? { note: notes.join('; ') } : {}) };
}
