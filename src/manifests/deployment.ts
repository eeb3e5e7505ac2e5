import path from 'node:path/posix';
import { InputError } from '../errors.ts';
import { locateLineInString } from './load.ts';
import type { JsonObject, JsonValue, Located, ManifestObject, ManifestSet, MountView, RedisDeployment, RedisDirective } from './model.ts';
import { validateConfPaths, validateStatefulSetPaths } from './path-refusals.ts';
import { parseRedisArgs, parseRedisConf } from './redis-conf.ts';

/** WORKDIR of the official redis image: redis-server's working directory unless the container sets one. */
const REDIS_IMAGE_WORKDIR = '/data';
const DEFAULT_PORT = 6379;
const DEFAULT_CLUSTER_CONFIG_FILE = 'nodes.conf';

type Path = (string | number)[];

/**
 * What the pipeline needs to know about the Redis StatefulSet: its container, mounts, effective redis.conf
 * (config file from the mounted ConfigMap, then command-line options) and where nodes.conf and the data live.
 * Lenient where the manifests are wrong in ways lint reports (old apiVersion, no selector); InputError with
 * file:line where nothing sensible can be derived (no Redis StatefulSet, config file not in the manifests).
 * An argument directive's `from.index` is its position in the process's argv (command then args; 0 is redis-server).
 */
export function redisDeployment(set: ManifestSet): RedisDeployment {
  const { sts, containerIndex } = findRedisStatefulSet(set);
  validateStatefulSetPaths(set, sts, containerIndex);
  const podSpecPath: Path = ['spec', 'template', 'spec'];
  const containerPath: Path = [...podSpecPath, 'containers', containerIndex];
  const at = (p: Path) => sts.locate(p);
  const where = (p: Path) => {
    const l = at(p);
    return `${l.file}:${l.line}`;
  };
  const spec = objectAt(sts.body, ['spec']);
  const podSpec = objectAt(sts.body, podSpecPath);
  const c = objectAt(sts.body, containerPath);

  const replicas = spec.replicas ?? 1; // Kubernetes' default
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new InputError(`${where(['spec', 'replicas'])}: spec.replicas must be a whole number, got ${JSON.stringify(replicas)}`);
  }

  const claimTemplates = arrayAt(spec, ['volumeClaimTemplates']).map((t) => {
    const tSpec = objectAt(t, ['spec']);
    const storage = objectAt(tSpec, ['resources', 'requests']).storage;
    return {
      name: String(objectAt(t, ['metadata']).name ?? ''),
      ...(typeof tSpec.storageClassName === 'string' ? { storageClassName: tSpec.storageClassName } : {}),
      accessModes: stringsAt(tSpec, ['accessModes']),
      ...(storage !== undefined && storage !== null ? { storage: String(storage) } : {}),
    };
  });

  const configMapKeys = new Map<MountView, Record<string, string>>();
  const mounts = resolveMounts(set, sts, podSpec, c, containerPath, claimTemplates.map((t) => t.name), configMapKeys);
  const mountFor = (containerFile: string): MountView | undefined => {
    const p = path.resolve('/', containerFile);
    return mounts
      .filter((m) => p === m.mountPath || p.startsWith(m.mountPath === '/' ? '/' : `${m.mountPath}/`))
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  };

  const command = stringsAt(c, ['command']);
  const args = stringsAt(c, ['args']);
  const argv = effectiveArgv(command, args);
  if (!isRedisServer(argv[0])) {
    throw new InputError(
      `${where([...containerPath, command.length > 0 ? 'command' : 'args'])}: the Redis container runs ${JSON.stringify(argv[0])}, not redis-server; ` +
        'run redis-server directly (command: [redis-server], args: [config file, --options]) so its configuration can be read',
    );
  }
  // Where argv[i] is written in the manifest: command when set, else args (the image's entrypoint may add one).
  const argvPath = (i: number): Path =>
    command.length > 0
      ? i < command.length ? [...containerPath, 'command', i] : [...containerPath, 'args', i - command.length]
      : [...containerPath, 'args', Math.max(0, i - (argv.length - args.length))];
  // Unset, null and '' all mean the image's default, as in Kubernetes.
  const setDir = c.workingDir === null || c.workingDir === '' ? undefined : c.workingDir;
  if (setDir !== undefined && (typeof setDir !== 'string' || !setDir.startsWith('/'))) {
    throw new InputError(
      `${where([...containerPath, 'workingDir'])}: workingDir ${JSON.stringify(setDir)} is not an absolute path; ` +
        'container runtimes refuse a relative one (leave it out for the image\'s /data)',
    );
  }
  const workingDir = setDir ?? REDIS_IMAGE_WORKDIR;

  const parsedArgs = parseRedisArgs(argv.slice(1), (i) => where(argvPath(i + 1)));
  const directives: RedisDirective[] = [];
  let configFile: string | undefined;
  if (parsedArgs.configFile) {
    configFile = path.resolve(workingDir, parsedArgs.configFile.path);
    const cfgWhere = where(argvPath(parsedArgs.configFile.index + 1));
    const read = (file: string) => readMountedFile(mountFor(file), file);
    const text = read(configFile);
    if (text === undefined) {
      const m = mountFor(configFile);
      throw new InputError(
        `${cfgWhere}: redis-server reads ${configFile}, but ` +
          (m?.source.type === 'configMap'
            ? `ConfigMap ${m.source.configMap} ${Object.keys(m.source.files).length ? `mounted at ${m.mountPath} has no such file (it has ${Object.keys(m.source.files).join(', ')})` : 'is not among the manifests'}`
            : `it is not on a ConfigMap mount (${m ? `${m.mountPath} is ${m.source.type}` : 'no volume is mounted there'})`) +
          '; mount a ConfigMap holding redis.conf there',
      );
    }
    for (const d of parseRedisConf(text, { file: configFile, cwd: workingDir, readInclude: read })) {
      const located = locateConfLine(set, mountFor(d.file), configMapKeys, d.file, d.line);
      directives.push({ name: d.name, args: d.args, from: { kind: 'file', path: d.file, line: d.line, ...(located ? { at: located } : {}) } });
    }
  }
  for (const d of parsedArgs.directives) {
    const index = d.index + 1;
    directives.push({ name: d.name, args: d.args, from: { kind: 'arg', index, at: at(argvPath(index)) } });
  }

  const directive = (name: string) => {
    const n = name.toLowerCase();
    return directives.findLast((d) => d.name === n)?.args[0];
  };
  const portDirective = directives.findLast((d) => d.name === 'port');
  const port = portDirective ? Number(portDirective.args[0]) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(`${describe(portDirective!)}: port must be 1-65535, got ${JSON.stringify(portDirective!.args[0] ?? '')}`);
  }
  // redis-server changes into each `dir` as it reads it, and opens nodes.conf relative to the last one.
  const dataDir = directives.filter((d) => d.name === 'dir' && d.args[0]).reduce((cwd, d) => path.resolve(cwd, d.args[0]!), workingDir);
  const clusterConfigFile = path.resolve(dataDir, directive('cluster-config-file') ?? DEFAULT_CLUSTER_CONFIG_FILE);
  validateConfPaths(directives, workingDir, dataDir);

  const metadata = objectAt(sts.body, ['spec', 'template', 'metadata']);
  return {
    statefulSet: sts,
    name: sts.name,
    namespace: sts.namespace ?? 'default',
    replicas,
    serviceName: typeof spec.serviceName === 'string' ? spec.serviceName : '',
    podLabels: Object.fromEntries(Object.entries(objectAt(metadata, ['labels'])).map(([k, v]) => [k, String(v)])),
    container: {
      name: String(c.name ?? ''),
      image: String(c.image ?? ''),
      command,
      args,
      workingDir,
      env: arrayAt(c, ['env']).map((e) => {
        const fieldRef = objectAt(e, ['valueFrom', 'fieldRef']).fieldPath;
        return {
          name: String(e.name ?? ''),
          ...(typeof e.value === 'string' ? { value: e.value } : {}),
          ...(typeof fieldRef === 'string' ? { fieldRef } : {}),
        };
      }),
    },
    mounts,
    ...(configFile !== undefined ? { configFile } : {}),
    directives,
    directive,
    port,
    dataDir,
    clusterConfigFile,
    mountFor,
    // Only a claim template gives each pod its own volume that outlives it; a shared claim would have every pod
    // write the same nodes.conf.
    isPersistent: (p) => mountFor(p)?.source.type === 'pvc',
    claimTemplates,
  };
}

function describe(d: RedisDirective): string {
  if (d.from.at) return `${d.from.at.file}:${d.from.at.line}`;
  return d.from.kind === 'file' ? `${d.from.path}:${d.from.line}` : `redis-server argument ${d.from.index}`;
}

/** The one StatefulSet whose container runs redis-server (or an image named redis). */
function findRedisStatefulSet(set: ManifestSet): { sts: ManifestObject; containerIndex: number } {
  const statefulSets = set.objects.filter((o) => o.kind === 'StatefulSet');
  const found = statefulSets.flatMap((sts) => {
    const containers = arrayAt(sts.body, ['spec', 'template', 'spec', 'containers']);
    const runsRedis = containers.findIndex((c) => isRedisServer(stringsAt(c, ['command'])[0]) || isRedisImage(c.image));
    return runsRedis >= 0 ? [{ sts, containerIndex: runsRedis }] : [];
  });
  const expected = 'a StatefulSet whose container runs redis-server (command) or an image named redis';
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    const seen = statefulSets.map((s) => `${s.name} (${s.at.file}:${s.at.line})`).join(', ');
    throw new InputError(`no Redis StatefulSet in ${set.dir}: expected ${expected}; found ${seen ? `only ${seen}` : 'no StatefulSet'}`);
  }
  throw new InputError(
    `more than one Redis StatefulSet in ${set.dir}: ${found.map((f) => `${f.sts.name} (${f.sts.at.file}:${f.sts.at.line})`).join(', ')}; expected exactly one`,
  );
}

function isRedisServer(program: string | undefined): boolean {
  return program !== undefined && path.basename(program) === 'redis-server';
}

/** redis, redis:7.2.5, docker.io/library/redis@sha256:… — the repository's last path segment is "redis". */
function isRedisImage(image: JsonValue | undefined): boolean {
  if (typeof image !== 'string') return false;
  const repo = image.split('@')[0]!.replace(/:[^/:]*$/, '');
  return repo.split('/').pop() === 'redis';
}

/**
 * The process the container starts. Kubernetes: `command` replaces the image's entrypoint, `args` its CMD. The
 * official image's entrypoint runs `redis-server` with the args when they start with `-` or end in `.conf`, and
 * its CMD is `redis-server`.
 */
function effectiveArgv(command: string[], args: string[]): string[] {
  if (command.length > 0) return [...command, ...args];
  if (args.length === 0) return ['redis-server'];
  if (args[0]!.startsWith('-') || args[0]!.endsWith('.conf')) return ['redis-server', ...args];
  return args;
}

function resolveMounts(
  set: ManifestSet,
  sts: ManifestObject,
  podSpec: JsonObject,
  container: JsonObject,
  containerPath: Path,
  claimTemplateNames: string[],
  configMapKeys: Map<MountView, Record<string, string>>,
): MountView[] {
  const volumes = arrayAt(podSpec, ['volumes']);
  return arrayAt(container, ['volumeMounts']).map((m, i) => {
    const name = String(m.name ?? '');
    const mountPath = path.resolve('/', String(m.mountPath ?? '/'));
    const subPath = typeof m.subPath === 'string' && m.subPath ? m.subPath : undefined;
    const base = { name, mountPath, ...(subPath ? { subPath } : {}), readOnly: m.readOnly === true };
    const volume = volumes.find((v) => v.name === name);
    if (!volume) {
      if (claimTemplateNames.includes(name)) return { ...base, source: { type: 'pvc', claimTemplate: name } };
      const l = sts.locate([...containerPath, 'volumeMounts', i, 'name']);
      throw new InputError(`${l.file}:${l.line}: volumeMount "${name}" names no volume and no volumeClaimTemplate of StatefulSet ${sts.name}`);
    }
    if (isObject(volume.configMap)) {
      const { source, keys } = configMapSource(set, volume.configMap, subPath);
      const view: MountView = { ...base, source };
      configMapKeys.set(view, keys);
      return view;
    }
    if (isObject(volume.emptyDir)) return { ...base, source: { type: 'emptyDir' } };
    const kind = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
    return { ...base, source: { type: 'other', description: `${kind} volume ${name}` } };
  });
}

/**
 * Files a configMap volume shows: its items (key → path) or every key; a subPath mount of one file shows it as
 * ''. `keys` maps each file back to its ConfigMap key, to locate its lines in the manifest.
 */
function configMapSource(
  set: ManifestSet,
  ref: JsonObject,
  subPath: string | undefined,
): { source: MountView['source'] & { type: 'configMap' }; keys: Record<string, string> } {
  const name = String(ref.name ?? '');
  const cm = set.objects.find((o) => o.kind === 'ConfigMap' && o.name === name);
  const data = cm ? objectAt(cm.body, ['data']) : {};
  const items = arrayAt(ref, ['items']);
  const sub = subPath === undefined ? undefined : path.normalize(subPath);
  const files: Record<string, string> = {};
  const keys: Record<string, string> = {};
  const entries = items.length > 0 ? items.map((it) => [String(it.key), String(it.path)] as const) : Object.keys(data).map((k) => [k, k] as const);
  for (const [key, item] of entries) {
    const text = data[key];
    const file = path.normalize(item);
    const shown = sub === undefined ? file : file === sub ? '' : file.startsWith(`${sub}/`) ? file.slice(sub.length + 1) : undefined;
    if (typeof text !== 'string' || shown === undefined) continue;
    files[shown] = text;
    keys[shown] = key;
  }
  return { source: { type: 'configMap', configMap: name, files }, keys };
}

function readMountedFile(mount: MountView | undefined, containerFile: string): string | undefined {
  if (mount?.source.type !== 'configMap') return undefined;
  return mount.source.files[path.relative(mount.mountPath, containerFile)];
}

/** The manifest position of line `line` of a config file that comes from a ConfigMap key written as a `|` block. */
function locateConfLine(
  set: ManifestSet,
  mount: MountView | undefined,
  configMapKeys: Map<MountView, Record<string, string>>,
  containerFile: string,
  line: number,
): Located | undefined {
  if (mount?.source.type !== 'configMap') return undefined;
  const cmName = mount.source.configMap;
  const cm = set.objects.find((o) => o.kind === 'ConfigMap' && o.name === cmName);
  const key = configMapKeys.get(mount)?.[path.relative(mount.mountPath, containerFile)];
  return cm && key !== undefined ? locateLineInString(cm, ['data', key], line) : undefined;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The object at `p`, or {} when anything on the way is missing or not an object (lint reports the shape). */
function objectAt(root: JsonObject, p: Path): JsonObject {
  let v: JsonValue | undefined = root;
  for (const k of p) v = Array.isArray(v) && typeof k === 'number' ? v[k] : isObject(v) ? v[String(k)] : undefined;
  return isObject(v) ? v : {};
}

function arrayAt(root: JsonObject, p: Path): JsonObject[] {
  const parent = objectAt(root, p.slice(0, -1));
  const v = parent[String(p[p.length - 1])];
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function stringsAt(root: JsonObject, p: Path): string[] {
  const parent = objectAt(root, p.slice(0, -1));
  const v = parent[String(p[p.length - 1])];
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];
}
