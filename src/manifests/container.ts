import { InputError } from '../errors.ts';
import { resolveEnv } from './env.ts';
import { mountIn, resolveMounts } from './mounts.ts';
import type { ContainerView, EnvVar, JsonObject, ManifestObject, ManifestSet, MountView } from './model.ts';
import { objectAt, objectsAt, scalarText, stringsAt, type Path } from './object-path.ts';
import { serverOfImage, SERVERS } from './server.ts';

/** WORKDIR of the official redis and valkey images: the server's working directory unless the container sets one. */
export const REDIS_IMAGE_WORKDIR = '/data';

export const POD_SPEC_PATH: Path = ['spec', 'template', 'spec'];

/** The Redis container of the StatefulSet, with what reading its launch needs. */
export interface RedisContainer {
  set: ManifestSet;
  sts: ManifestObject;
  podSpec: JsonObject;
  /** Where the container is in the StatefulSet's body. */
  path: Path;
  body: JsonObject;
  command: string[];
  args: string[];
  /** The process it starts (effectiveArgv). */
  argv: string[];
  /** Where argv[i] is written in the manifest. */
  argvPath: (i: number) => Path;
  workingDir: string;
  env: EnvVar[];
  mounts: MountView[];
  mountFor: (containerFile: string) => MountView | undefined;
  /** The StatefulSet's volumeClaimTemplates, by name: a mount of one is the pod's own volume. */
  claimNames: string[];
}

export function readRedisContainer(
  set: ManifestSet,
  sts: ManifestObject,
  containerIndex: number,
  claimNames: string[],
): RedisContainer {
  const containerPath: Path = [...POD_SPEC_PATH, 'containers', containerIndex];
  const podSpec = objectAt(sts.body, POD_SPEC_PATH);
  const c = objectAt(sts.body, containerPath);
  const mounts = resolveMounts(set, sts, podSpec, c, containerPath, claimNames);
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
  return {
    set,
    sts,
    podSpec,
    path: containerPath,
    body: c,
    command,
    args,
    argv,
    argvPath,
    workingDir,
    env,
    mounts,
    mountFor: (containerFile) => mountIn(mounts, containerFile),
    claimNames,
  };
}

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

/** The Redis container as the deployment reports it. */
export function containerViewOf(c: RedisContainer): ContainerView {
  return {
    name: scalarText(c.body.name),
    image: scalarText(c.body.image),
    command: c.command,
    args: c.args,
    workingDir: c.workingDir,
    env: c.env,
    mounts: c.mounts,
    ...readinessExecOf(c.body),
  };
}

function readinessExecOf(c: JsonObject): { readinessExec?: string[] } {
  const command = stringsAt(c, ['readinessProbe', 'exec', 'command']);
  return command.length ? { readinessExec: command } : {};
}

/** An init container as the deployment reports it (the Redis one's own view is containerViewOf). */
export function initContainerView(
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

/** The pod's init containers, in order. */
export function initContainerViews(c: Pick<RedisContainer, 'set' | 'sts' | 'podSpec' | 'claimNames'>): ContainerView[] {
  return objectsAt(c.podSpec, ['initContainers']).map((ic, i) =>
    initContainerView(c.set, c.sts, c.podSpec, ic, [...POD_SPEC_PATH, 'initContainers', i], c.claimNames),
  );
}
