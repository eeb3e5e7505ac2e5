import path from 'node:path/posix';
import { InputError } from '../errors.ts';
import { validateApiBounds } from './api-bounds.ts';
import { readConfigFile, type ConfigRead } from './config-file.ts';
import { containerViewOf, initContainerViews, readRedisContainer } from './container.ts';
import { readServerLaunch, type ServerLaunch } from './invocation.ts';
import type {
  JsonObject,
  LaunchGap,
  LaunchView,
  ManifestObject,
  ManifestSet,
  RedisDeployment,
  RedisDirective,
} from './model.ts';
import { objectAt, objectsAt, scalarText, stringsAt } from './object-path.ts';
import { validateConfPaths, validateStatefulSetPaths } from './path-refusals.ts';
import { mentionsServerProgram, serverOfImage } from './server.ts';

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
  const spec = objectAt(sts.body, ['spec']);
  const replicas = replicasOf(sts, spec);
  const claimTemplates = claimTemplatesOf(spec);
  const container = readRedisContainer(
    set,
    sts,
    containerIndex,
    claimTemplates.map((t) => t.name),
  );
  const gaps: LaunchGap[] = [];
  const launch = readServerLaunch(container, gaps);
  const conf = readConfigFile(container, launch, gaps);
  // The command line's options after the config file's: the last of a name wins, as in redis-server.
  const directives = [...conf.directives, ...argDirectives(launch)];
  const directive = (name: string) => {
    const n = name.toLowerCase();
    return directives.findLast((d) => d.name === n)?.args[0];
  };
  const { port, busPort } = portsOf(directives, directive);
  const { workingDir, mounts, mountFor } = container;
  const dataDir = dataDirOf(directives, workingDir);
  const clusterConfigFile = path.resolve(dataDir, directive('cluster-config-file') ?? DEFAULT_CLUSTER_CONFIG_FILE);
  validateConfPaths(directives, workingDir, dataDir);
  return {
    statefulSet: sts,
    server: launch.server,
    name: sts.name,
    namespace: sts.namespace ?? 'default',
    replicas,
    serviceName: typeof spec.serviceName === 'string' ? spec.serviceName : '',
    podLabels: podLabelsOf(sts),
    container: containerViewOf(container),
    initContainers: initContainerViews(container),
    mounts,
    launch: launchView(launch, conf, gaps),
    ...(conf.configFile !== undefined ? { configFile: conf.configFile } : {}),
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

function replicasOf(sts: ManifestObject, spec: JsonObject): number {
  const replicas = spec.replicas ?? 1; // Kubernetes' default
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    const l = sts.locate(['spec', 'replicas']);
    throw new InputError(`${l.file}:${l.line}: spec.replicas must be a whole number, got ${JSON.stringify(replicas)}`);
  }
  return replicas;
}

function claimTemplatesOf(spec: JsonObject): RedisDeployment['claimTemplates'] {
  return objectsAt(spec, ['volumeClaimTemplates']).map((t) => {
    const tSpec = objectAt(t, ['spec']);
    const storage = objectAt(tSpec, ['resources', 'requests']).storage;
    return {
      name: scalarText(objectAt(t, ['metadata']).name),
      ...(typeof tSpec.storageClassName === 'string' ? { storageClassName: tSpec.storageClassName } : {}),
      accessModes: stringsAt(tSpec, ['accessModes']),
      ...(storage !== undefined && storage !== null ? { storage: scalarText(storage) } : {}),
    };
  });
}

function podLabelsOf(sts: ManifestObject): Record<string, string> {
  const metadata = objectAt(sts.body, ['spec', 'template', 'metadata']);
  return Object.fromEntries(Object.entries(objectAt(metadata, ['labels'])).map(([k, v]) => [k, scalarText(v)]));
}

/** The directives of the server's command line, located. */
function argDirectives(launch: ServerLaunch): RedisDirective[] {
  return launch.parsed.directives.map((d) => {
    const index = d.index + 1;
    return { name: d.name, args: d.args, from: { kind: 'arg', index, at: launch.argAt(index) } };
  });
}

/** The client port (a placeholder's is left at the default) and the cluster bus port. */
function portsOf(
  directives: RedisDirective[],
  directive: (name: string) => string | undefined,
): { port: number; busPort: number } {
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
  return { port, busPort };
}

/** redis-server changes into each `dir` as it reads it, and opens nodes.conf relative to the last one. */
function dataDirOf(directives: RedisDirective[], workingDir: string): string {
  return directives
    .filter((d) => d.name === 'dir' && d.args[0])
    .reduce((cwd, d) => path.resolve(cwd, d.args[0]!), workingDir);
}

function launchView(launch: ServerLaunch, conf: ConfigRead, gaps: LaunchGap[]): LaunchView {
  const { invocation, redisArgv } = launch;
  return {
    redisArgv,
    ...(invocation?.wrapper ? { wrapper: invocation.wrapper } : {}),
    config: conf.config,
    ...(conf.renderedBy ? { renderedBy: conf.renderedBy } : {}),
    gaps,
  };
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
