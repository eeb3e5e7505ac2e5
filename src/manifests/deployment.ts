import path from 'node:path/posix';
import { InputError } from '../errors.ts';
import { validateApiBounds } from './api-bounds.ts';
import { locateLineInString } from './load.ts';
import { findConfigRenderer, findRedisInvocation, type KnownFile } from './launch.ts';
import { fileWrittenByScript } from './script-config.ts';
import { isShellScript, shellInvocation } from './shell.ts';
import type {
  ContainerView,
  EnvVar,
  JsonObject,
  JsonValue,
  LaunchView,
  Located,
  ManifestObject,
  ManifestSet,
  MountView,
  RedisDeployment,
  RedisDirective,
} from './model.ts';
import { isObject, objectAt, objectsAt, scalarText, stringsAt, type Path } from './object-path.ts';
import { validateConfPaths, validateStatefulSetPaths } from './path-refusals.ts';
import { parseRedisArgs, parseRedisConf } from './redis-conf.ts';
import { mentionsServerProgram, serverOfContainer, serverOfImage, SERVERS } from './server.ts';

/** WORKDIR of the official redis and valkey images: the server's working directory unless the container sets one. */
export const REDIS_IMAGE_WORKDIR = '/data';
const DEFAULT_PORT = 6379;
/** redis.conf: `cluster-port 0` (the default) puts the cluster bus on the client port + 10000. */
export const BUS_PORT_OFFSET = 10000;
const DEFAULT_CLUSTER_CONFIG_FILE = 'nodes.conf';

/**
 * What the pipeline needs to know about the Redis StatefulSet: its container, mounts, effective redis.conf
 * (config file from the mounted ConfigMap, then command-line options) and where nodes.conf and the data live.
 * Lenient where the manifests are wrong in ways lint reports (old apiVersion, no selector); InputError with
 * file:line where nothing sensible can be derived (no Redis StatefulSet, config file not in the manifests).
 * An argument directive's `from.index` is its position in the process's argv (command then args; 0 is redis-server).
 */
export function redisDeployment(set: ManifestSet): RedisDeployment {
  validateApiBounds(set);
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
    throw new InputError(
      `${where(['spec', 'replicas'])}: spec.replicas must be a whole number, got ${JSON.stringify(replicas)}`,
    );
  }

  const claimTemplates = objectsAt(spec, ['volumeClaimTemplates']).map((t) => {
    const tSpec = objectAt(t, ['spec']);
    const storage = objectAt(tSpec, ['resources', 'requests']).storage;
    return {
      name: scalarText(objectAt(t, ['metadata']).name),
      ...(typeof tSpec.storageClassName === 'string' ? { storageClassName: tSpec.storageClassName } : {}),
      accessModes: stringsAt(tSpec, ['accessModes']),
      ...(storage !== undefined && storage !== null ? { storage: scalarText(storage) } : {}),
    };
  });

  const claimNames = claimTemplates.map((t) => t.name);
  const mounts = resolveMounts(set, sts, podSpec, c, containerPath, claimNames);
  const mountFor = (containerFile: string): MountView | undefined => mountIn(mounts, containerFile);

  const command = stringsAt(c, ['command']);
  const args = stringsAt(c, ['args']);
  const argv = effectiveArgv(command, args, SERVERS[serverOfImage(c.image) ?? 'redis'].program);
  // Where argv[i] is written in the manifest: command when set, else args (the image's entrypoint may add one).
  const argvPath = (i: number): Path =>
    command.length > 0
      ? i < command.length
        ? [...containerPath, 'command', i]
        : [...containerPath, 'args', i - command.length]
      : [...containerPath, 'args', Math.max(0, i - (argv.length - args.length))];
  const workingDir = workingDirOf(c, containerPath, sts);
  const env = resolveEnv(set, sts, c, containerPath);

  const gaps: LaunchView['gaps'] = [];
  const found = findRedisInvocation(argv, (i) => at(argvPath(i)), {
    envNames: new Set(env.map((e) => e.name)),
    readFile: (p) => knownFile(set, mountFor(path.resolve(workingDir, p)), path.resolve(workingDir, p)),
  });
  const invocation = 'notFound' in found ? undefined : found;
  const server = serverOfContainer(c.image, invocation?.argv[0], [...command, ...args]);
  const program = server.program;
  if ('notFound' in found) {
    gaps.push({
      at: at(argvPath(0)),
      message: `the ${server.name} container runs ${found.notFound}: where ${program} starts and with which options is only known when the pod runs`,
    });
  }
  const redisArgv = invocation?.argv ?? [];
  const argAt = (i: number): Located => invocation!.at[i]!;
  for (const [i, expansions] of invocation?.dynamic ?? []) {
    gaps.push({
      at: argAt(i),
      message: `${program} argument ${JSON.stringify(redisArgv[i])} depends on ${expansions.join(', ')}, known only when the script runs`,
    });
  }

  const parsedArgs = parseRedisArgs(redisArgv.slice(1), (i) => describeAt(argAt(i + 1)));
  const directives: RedisDirective[] = [];
  let configFile: string | undefined;
  let config: LaunchView['config'] = invocation ? 'static' : 'unknown';
  let renderedBy: string | undefined;
  if (parsedArgs.configFile && invocation?.dynamic.has(parsedArgs.configFile.index + 1)) {
    config = 'unknown';
  } else if (parsedArgs.configFile) {
    configFile = path.resolve(workingDir, parsedArgs.configFile.path);
    const cfgWhere = describeAt(argAt(parsedArgs.configFile.index + 1));
    const read = (file: string) => knownFile(set, mountFor(file), file);
    const m = mountFor(configFile);
    let main = read(configFile);
    if (main === undefined && m && m.source.type !== 'configMap' && m.source.type !== 'secret') {
      const rendered = renderedConfig(set, sts, podSpec, claimNames, m, configFile);
      if (rendered) {
        renderedBy = rendered.initContainer;
        main = rendered.template?.file;
        config = main ? 'template' : 'unknown';
        gaps.push({
          at: rendered.at,
          message:
            `${program} reads ${configFile}, which init container ${rendered.initContainer} writes at start` +
            (rendered.template
              ? ` from ${rendered.template.path} (${rendered.template.file.description}); its placeholders are filled in only when the pod runs`
              : ' from nothing among the manifests; its content is known only when the pod runs'),
        });
      }
    }
    if (main === undefined && config !== 'unknown') {
      const own = writtenByOwnScript(
        argv,
        argvPath,
        (p) => read(path.resolve(workingDir, p)),
        sts,
        configFile,
        workingDir,
      );
      if (own === 'unknown') {
        config = 'unknown';
        gaps.push({
          at: at(argvPath(0)),
          message: `${program} reads ${configFile}, which the container's own script writes at start in a way lint does not read; its content is known only when the pod runs`,
        });
      } else if (own) {
        main = own.file;
        config = own.templated ? 'template' : 'static';
        gaps.push({
          at: own.file.locateLine(1),
          message:
            `${program} reads ${configFile}, which the container's own script writes at start (${own.file.description})` +
            (own.templated ? '; its expansions are filled in only when the pod runs' : ''),
        });
      }
    }
    if (main === undefined && config !== 'unknown') {
      throw new InputError(
        `${cfgWhere}: ${program} reads ${configFile}, but ` +
          (m?.source.type === 'configMap'
            ? `ConfigMap ${m.source.configMap} ${Object.keys(m.source.files).length ? `mounted at ${m.mountPath} has no such file (it has ${Object.keys(m.source.files).join(', ')})` : 'is not among the manifests'}`
            : `it is not on a ConfigMap mount (${m ? `${m.mountPath} is ${m.source.type}` : 'no volume is mounted there'}) and no init container writes it`) +
          `; mount a ConfigMap holding ${server.kind === 'valkey' ? 'valkey.conf' : 'redis.conf'} there`,
      );
    }
    if (main) {
      const readText = (file: string) => read(file)?.text;
      const templated = config === 'template';
      for (const d of parseRedisConf(main.text, { file: configFile, cwd: workingDir, readInclude: readText })) {
        const located = d.file === configFile ? main.locateLine(d.line) : read(d.file)?.locateLine(d.line);
        directives.push({
          name: d.name,
          args: d.args,
          from: { kind: 'file', path: d.file, line: d.line, ...(located ? { at: located } : {}) },
        });
        if (templated && d.args.some((a) => /\$\{?[A-Za-z_]|\{\{/.test(a))) {
          gaps.push({
            at: located ?? at(argvPath(0)),
            message: `${d.name} ${d.args.join(' ')} ${renderedBy ? 'is a placeholder the init container fills in' : 'is a placeholder filled in when the container starts'}`,
          });
        }
      }
    }
  }
  for (const d of parsedArgs.directives) {
    const index = d.index + 1;
    directives.push({ name: d.name, args: d.args, from: { kind: 'arg', index, at: argAt(index) } });
  }

  const directive = (name: string) => {
    const n = name.toLowerCase();
    return directives.findLast((d) => d.name === n)?.args[0];
  };
  const portDirective = directives.findLast((d) => d.name === 'port');
  const port =
    portDirective && !/\$|\{\{/.test(portDirective.args[0] ?? '') ? Number(portDirective.args[0]) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(
      `${describe(portDirective!)}: port must be 1-65535, got ${JSON.stringify(portDirective!.args[0] ?? '')}`,
    );
  }
  const clusterPort = Number(directive('cluster-port') ?? 0);
  const busPort = Number.isInteger(clusterPort) && clusterPort > 0 ? clusterPort : port + BUS_PORT_OFFSET;
  // redis-server changes into each `dir` as it reads it, and opens nodes.conf relative to the last one.
  const dataDir = directives
    .filter((d) => d.name === 'dir' && d.args[0])
    .reduce((cwd, d) => path.resolve(cwd, d.args[0]!), workingDir);
  const clusterConfigFile = path.resolve(dataDir, directive('cluster-config-file') ?? DEFAULT_CLUSTER_CONFIG_FILE);
  validateConfPaths(directives, workingDir, dataDir);

  const metadata = objectAt(sts.body, ['spec', 'template', 'metadata']);
  return {
    statefulSet: sts,
    server,
    name: sts.name,
    namespace: sts.namespace ?? 'default',
    replicas,
    serviceName: typeof spec.serviceName === 'string' ? spec.serviceName : '',
    podLabels: Object.fromEntries(Object.entries(objectAt(metadata, ['labels'])).map(([k, v]) => [k, scalarText(v)])),
    container: {
      name: scalarText(c.name),
      image: scalarText(c.image),
      command,
      args,
      workingDir,
      env,
      mounts,
      ...readinessExecOf(c),
    },
    initContainers: objectsAt(podSpec, ['initContainers']).map((ic, i) =>
      initContainerView(set, sts, podSpec, ic, [...podSpecPath, 'initContainers', i], claimNames),
    ),
    mounts,
    launch: {
      redisArgv,
      ...(invocation?.wrapper ? { wrapper: invocation.wrapper } : {}),
      config,
      ...(renderedBy ? { renderedBy } : {}),
      gaps,
    },
    ...(configFile !== undefined ? { configFile } : {}),
    directives,
    directive,
    port,
    busPort,
    dataDir,
    clusterConfigFile,
    mountFor,
    // Only a claim template gives each pod its own volume that outlives it; a shared claim would have every pod
    // write the same nodes.conf.
    isPersistent: (p) => mountFor(p)?.source.type === 'pvc',
    claimTemplates,
  };
}

function describeAt(l: Located): string {
  return `${l.file}:${l.line}`;
}

function describe(d: RedisDirective): string {
  if (d.from.at) return `${d.from.at.file}:${d.from.at.line}`;
  return d.from.kind === 'file' ? `${d.from.path}:${d.from.line}` : `redis-server argument ${d.from.index}`;
}

/** The one StatefulSet whose container runs redis-server or valkey-server (directly or behind a wrapper) or a Redis or Valkey image. */
function findRedisStatefulSet(set: ManifestSet): { sts: ManifestObject; containerIndex: number } {
  const statefulSets = set.objects.filter((o) => o.kind === 'StatefulSet');
  const found = statefulSets.flatMap((sts) => {
    const containers = objectsAt(sts.body, ['spec', 'template', 'spec', 'containers']);
    const runsRedis = containers.findIndex(
      (c) =>
        serverOfImage(c.image) !== undefined ||
        [...stringsAt(c, ['command']), ...stringsAt(c, ['args'])].some(mentionsServerProgram),
    );
    return runsRedis >= 0 ? [{ sts, containerIndex: runsRedis }] : [];
  });
  const expected =
    'a StatefulSet whose container runs redis-server or valkey-server (command, args or its script) or a redis or valkey image';
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    const seen = statefulSets.map((s) => `${s.name} (${s.at.file}:${s.at.line})`).join(', ');
    throw new InputError(
      `no Redis StatefulSet in ${set.dir}: expected ${expected}; found ${seen ? `only ${seen}` : 'no StatefulSet'}`,
    );
  }
  throw new InputError(
    `more than one Redis StatefulSet in ${set.dir}: ${found.map((f) => `${f.sts.name} (${f.sts.at.file}:${f.sts.at.line})`).join(', ')}; expected exactly one`,
  );
}

/** redis, redis:7.2.5, docker.io/library/redis@sha256:…, bitnami/redis-cluster — the repository's last path segment. */
/**
 * The process the container starts. Kubernetes: `command` replaces the image's entrypoint, `args` its CMD. The
 * official redis (valkey) image's entrypoint runs `redis-server` (`valkey-server`) with the args when they start
 * with `-` or end in `.conf`, and its CMD is that program.
 */
export function effectiveArgv(command: string[], args: string[], imageProgram: string): string[] {
  if (command.length > 0) return [...command, ...args];
  if (args.length === 0) return [imageProgram];
  if (args[0]!.startsWith('-') || args[0]!.endsWith('.conf')) return [imageProgram, ...args];
  return args;
}

/** A container's workingDir; unset, null and '' all mean the image's default, as in Kubernetes. */
function workingDirOf(c: JsonObject, containerPath: Path, sts: ManifestObject): string {
  const setDir = c.workingDir === null || c.workingDir === '' ? undefined : c.workingDir;
  if (setDir !== undefined && (typeof setDir !== 'string' || !setDir.startsWith('/'))) {
    const l = sts.locate([...containerPath, 'workingDir']);
    throw new InputError(
      `${l.file}:${l.line}: workingDir ${JSON.stringify(setDir)} is not an absolute path; ` +
        "container runtimes refuse a relative one (leave it out for the image's own)",
    );
  }
  return setDir ?? (serverOfImage(c.image) ? REDIS_IMAGE_WORKDIR : '/');
}

/**
 * The container's env as the kubelet builds it (pkg/kubelet/kubelet_pods.go, makeEnvironmentVariables): every
 * key of each envFrom source first (with its prefix; keys that are no valid variable name skipped, as the kubelet
 * does), then `env` (a later entry of the same name wins: env overrides envFrom). Literals, downward-API fields,
 * and Secret / ConfigMap keys read from the manifests; an `optional` reference to what is not there sets nothing.
 */
function resolveEnv(set: ManifestSet, sts: ManifestObject, c: JsonObject, containerPath: Path): EnvVar[] {
  const fromSources = objectsAt(c, ['envFrom']).flatMap((src, i): EnvVar[] => {
    for (const [refKey, kind] of [
      ['secretRef', 'Secret'],
      ['configMapRef', 'ConfigMap'],
    ] as const) {
      const ref = objectAt(src, [refKey]);
      if (!Object.keys(ref).length) continue;
      const objName = scalarText(ref.name);
      const prefix = typeof src.prefix === 'string' ? src.prefix : '';
      const at = sts.locate([...containerPath, 'envFrom', i]);
      const secret = kind === 'Secret';
      if (!set.objects.some((o) => o.kind === kind && o.name === objName)) {
        // A required source that is missing: the pod cannot start (containerEnv says so when it is run).
        // `optional` belongs to the reference (ConfigMapEnvSource, SecretEnvSource), not to the envFrom entry.
        return ref.optional === true
          ? []
          : [{ name: `${prefix}*`, from: { description: `every key of ${kind} ${objName} (envFrom)`, secret, at } }];
      }
      return Object.entries(dataOf(set, kind, objName))
        .filter(([key]) => ENV_VAR_NAME.test(prefix + key))
        .map(([key, value]) => ({
          name: prefix + key,
          value,
          from: { description: `${kind} ${objName} key ${key} (envFrom)`, secret, at },
        }));
    }
    return [];
  });
  const direct = objectsAt(c, ['env']).flatMap((e, i): EnvVar[] => {
    const name = scalarText(e.name);
    const fieldRef = objectAt(e, ['valueFrom', 'fieldRef']).fieldPath;
    if (typeof fieldRef === 'string') return [{ name, fieldRef }];
    for (const [refKey, kind] of [
      ['secretKeyRef', 'Secret'],
      ['configMapKeyRef', 'ConfigMap'],
    ] as const) {
      const ref = objectAt(e, ['valueFrom', refKey]);
      if (!Object.keys(ref).length) continue;
      const objName = scalarText(ref.name);
      const key = scalarText(ref.key);
      const value = dataOf(set, kind, objName)[key];
      if (value === undefined && ref.optional === true) return [];
      const from = {
        description: `${kind} ${objName} key ${key}`,
        secret: kind === 'Secret',
        at: sts.locate([...containerPath, 'env', i, 'valueFrom']),
      };
      return [{ name, ...(value !== undefined ? { value } : {}), from }];
    }
    return [{ name, ...(typeof e.value === 'string' ? { value: e.value } : {}) }];
  });
  return [...fromSources, ...direct];
}

/** A name envFrom may set (k8s.io/apimachinery validation.IsEnvVarName): the kubelet skips other keys. */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A ConfigMap's data, or a Secret's data (base64-decoded) and stringData, by key; {} when not among the manifests. */
export function dataOf(set: ManifestSet, kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> {
  const o = set.objects.find((x) => x.kind === kind && x.name === name);
  if (!o) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(objectAt(o.body, ['data']))) {
    if (typeof v === 'string') out[k] = kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  }
  if (kind === 'Secret')
    for (const [k, v] of Object.entries(objectAt(o.body, ['stringData']))) if (typeof v === 'string') out[k] = v;
  return out;
}

function mountIn(mounts: MountView[], containerFile: string): MountView | undefined {
  const p = path.resolve('/', containerFile);
  return mounts
    .filter((m) => p === m.mountPath || p.startsWith(m.mountPath === '/' ? '/' : `${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

/** Where each ConfigMap / Secret volume's files come from, to point at their lines in the manifests. */
const origins = new WeakMap<
  MountView['source'],
  { object: ManifestObject | undefined; keys: Record<string, string> }
>();

function resolveMounts(
  set: ManifestSet,
  sts: ManifestObject,
  podSpec: JsonObject,
  container: JsonObject,
  containerPath: Path,
  claimTemplateNames: string[],
): MountView[] {
  const volumes = objectsAt(podSpec, ['volumes']);
  return objectsAt(container, ['volumeMounts']).map((m, i) => {
    const name = scalarText(m.name);
    const mountPath = path.resolve('/', scalarText(m.mountPath) || '/');
    const subPath = typeof m.subPath === 'string' && m.subPath ? m.subPath : undefined;
    const base = { name, mountPath, ...(subPath ? { subPath } : {}), readOnly: m.readOnly === true };
    const volume = volumes.find((v) => v.name === name);
    if (!volume) {
      if (claimTemplateNames.includes(name)) return { ...base, source: { type: 'pvc', claimTemplate: name } };
      const l = sts.locate([...containerPath, 'volumeMounts', i, 'name']);
      throw new InputError(
        `${l.file}:${l.line}: volumeMount "${name}" names no volume and no volumeClaimTemplate of StatefulSet ${sts.name}`,
      );
    }
    if (isObject(volume.configMap))
      return { ...base, source: projectedSource(set, 'ConfigMap', volume.configMap, subPath) };
    if (isObject(volume.secret)) return { ...base, source: projectedSource(set, 'Secret', volume.secret, subPath) };
    if (isObject(volume.emptyDir)) return { ...base, source: { type: 'emptyDir' } };
    if (isObject(volume.persistentVolumeClaim)) {
      // A claim every pod shares: one volume, not one per pod.
      return {
        ...base,
        source: {
          type: 'other',
          description: `persistentVolumeClaim ${scalarText(volume.persistentVolumeClaim.claimName)} shared by every pod`,
        },
      };
    }
    const kind = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
    return { ...base, source: { type: 'other', description: `${kind} volume ${name}` } };
  });
}

/** A file mode as the manifest gives it (the loader reads `0755` as octal, as kubectl does), or undefined. */
const modeOf = (v: JsonValue | undefined): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : undefined;

/** The kubelet writes ConfigMap and Secret files 0644 unless defaultMode or an item's mode says otherwise. */
const DEFAULT_FILE_MODE = 0o644;

/**
 * Files a configMap / secret volume shows: its items (key → path) or every key; a subPath mount of one file
 * shows it as ''.
 */
function projectedSource(
  set: ManifestSet,
  kind: 'ConfigMap' | 'Secret',
  ref: JsonObject,
  subPath: string | undefined,
): MountView['source'] & { files: Record<string, string> } {
  const name = scalarText(kind === 'Secret' ? ref.secretName : ref.name);
  const data = dataOf(set, kind, name);
  const defaultMode = modeOf(ref.defaultMode) ?? DEFAULT_FILE_MODE;
  const items = objectsAt(ref, ['items']);
  const sub = subPath === undefined ? undefined : path.normalize(subPath);
  const files: Record<string, string> = {};
  const modes: Record<string, number> = {};
  const keys: Record<string, string> = {};
  const entries =
    items.length > 0
      ? items.map((it) => [scalarText(it.key), scalarText(it.path), modeOf(it.mode) ?? defaultMode] as const)
      : Object.keys(data).map((k) => [k, k, defaultMode] as const);
  for (const [key, item, mode] of entries) {
    const text = data[key];
    const file = path.normalize(item);
    const shown =
      sub === undefined
        ? file
        : file === sub
          ? ''
          : file.startsWith(`${sub}/`)
            ? file.slice(sub.length + 1)
            : undefined;
    if (text === undefined || shown === undefined) continue;
    files[shown] = text;
    modes[shown] = mode;
    keys[shown] = key;
  }
  const source =
    kind === 'Secret'
      ? { type: 'secret' as const, secret: name, files, modes }
      : { type: 'configMap' as const, configMap: name, files, modes };
  origins.set(source, { object: set.objects.find((o) => o.kind === kind && o.name === name), keys });
  return source;
}

/**
 * The config file as the Redis container's own script writes it before starting the server (a `sh -c` script, or
 * a mounted script it runs), with each line located where the script writes it.
 */
function writtenByOwnScript(
  argv: string[],
  argvPath: (i: number) => Path,
  readFile: (p: string) => KnownFile | undefined,
  sts: ManifestObject,
  configFile: string,
  workingDir: string,
): { file: KnownFile; templated: boolean } | 'unknown' | undefined {
  const shell = shellInvocation(argv);
  const mounted = shell ? undefined : argv[0] !== undefined ? readFile(argv[0]) : undefined;
  const script = shell?.script ?? (mounted && isShellScript(mounted.text) ? mounted.text : undefined);
  if (script === undefined) return undefined;
  const written = fileWrittenByScript(script, configFile, workingDir);
  if (written === undefined || written === 'unknown') return written;
  const locateScriptLine = (line: number): Located =>
    shell
      ? (locateLineInString(sts, argvPath(shell.scriptIndex), line) ?? sts.locate(argvPath(shell.scriptIndex)))
      : mounted!.locateLine(line);
  return {
    templated: written.templated,
    file: {
      text: written.text,
      description: shell ? `its ${path.basename(argv[0]!)} -c script` : mounted!.description,
      locateLine: (line) => locateScriptLine(written.scriptLine[line - 1] ?? written.scriptLine[0] ?? 1),
    },
  };
}

/** A file on a ConfigMap or Secret mount, with its lines located in the manifest where the key is a `|` block. */
function knownFile(set: ManifestSet, mount: MountView | undefined, containerFile: string): KnownFile | undefined {
  if (mount?.source.type !== 'configMap' && mount?.source.type !== 'secret') return undefined;
  const rel = path.relative(mount.mountPath, path.resolve('/', containerFile));
  const text = mount.source.files[rel];
  if (text === undefined) return undefined;
  const origin = origins.get(mount.source);
  const key = origin?.keys[rel];
  const object = origin?.object;
  const name = mount.source.type === 'configMap' ? mount.source.configMap : mount.source.secret;
  const description = `${mount.source.type === 'configMap' ? 'ConfigMap' : 'Secret'} ${name} key ${key ?? rel}`;
  return {
    text,
    description,
    locateLine: (line) =>
      (object && key !== undefined ? locateLineInString(object, ['data', key], line) : undefined) ??
      (object ? object.locate(['data', key ?? rel]) : { file: set.dir, line: 1, column: 1 }),
  };
}

function readinessExecOf(c: JsonObject): { readinessExec?: string[] } {
  const command = stringsAt(c, ['readinessProbe', 'exec', 'command']);
  return command.length ? { readinessExec: command } : {};
}

function initContainerView(
  set: ManifestSet,
  sts: ManifestObject,
  podSpec: JsonObject,
  ic: JsonObject,
  icPath: Path,
  claimNames: string[],
): ContainerView {
  return {
    name: scalarText(ic.name),
    image: scalarText(ic.image),
    command: stringsAt(ic, ['command']),
    args: stringsAt(ic, ['args']),
    workingDir: workingDirOf(ic, icPath, sts),
    env: resolveEnv(set, sts, ic, icPath),
    mounts: resolveMounts(set, sts, podSpec, ic, icPath, claimNames),
  };
}

/** The init container that writes the Redis container's config file (on a volume both mount), and its template. */
function renderedConfig(
  set: ManifestSet,
  sts: ManifestObject,
  podSpec: JsonObject,
  claimNames: string[],
  mount: MountView,
  configFile: string,
) {
  const rel = path.relative(mount.mountPath, configFile);
  const inits = objectsAt(podSpec, ['initContainers']).map((ic, i) => {
    const icPath: Path = ['spec', 'template', 'spec', 'initContainers', i];
    const view = initContainerView(set, sts, podSpec, ic, icPath, claimNames);
    const shared = view.mounts.find((m) => m.name === mount.name);
    return {
      name: view.name,
      argv: [...view.command, ...view.args],
      at: sts.locate([...icPath, view.command.length ? 'command' : 'args']),
      readFile: (p: string) => knownFile(set, mountIn(view.mounts, p), p),
      target: shared ? path.join(shared.mountPath, rel) : undefined,
    };
  });
  return findConfigRenderer(inits);
}
