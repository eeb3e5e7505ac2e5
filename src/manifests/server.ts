import path from 'node:path/posix';

/**
 * The servers this tool checks: Redis, and Valkey (Redis' fork: the same cluster protocol, CLUSTER commands and
 * configuration directives). Which one a container runs is decided here and nowhere else.
 */
export type ServerKind = 'redis' | 'valkey';

export interface ServerInfo {
  kind: ServerKind;
  /** For messages: "Redis", "Valkey". */
  name: string;
  /** The server program, as its packages and images name it. */
  program: string;
  /** Other program names its images answer to (Valkey installs redis-* links to its programs). */
  aliases: string[];
  /** Its command-line client (images and packages ship it beside the server). */
  cli: string;
  /** The Debian/Ubuntu package that installs it. */
  aptPackage: string;
  /** Oldest release still maintained upstream when this was written; older ones get no security fixes. */
  minVersion: [number, number];
}

export const SERVERS: Record<ServerKind, ServerInfo> = {
  redis: {
    kind: 'redis',
    name: 'Redis',
    program: 'redis-server',
    aliases: [],
    cli: 'redis-cli',
    aptPackage: 'redis-server',
    minVersion: [6, 2],
  },
  // Valkey's first release was 7.2.4 (forked from Redis 7.2.4): every Valkey is at least 7.2.
  valkey: {
    kind: 'valkey',
    name: 'Valkey',
    program: 'valkey-server',
    aliases: ['redis-server'],
    cli: 'valkey-cli',
    aptPackage: 'valkey-server',
    minVersion: [7, 2],
  },
};

/**
 * Image repositories (the last path segment, without tag or digest) of each server: the official images
 * (redis, valkey/valkey), Bitnami's charts (bitnami/redis-cluster, bitnami/valkey-cluster) and Redis Stack.
 */
const IMAGE_REPOSITORIES: Record<ServerKind, readonly string[]> = {
  redis: ['redis', 'redis-cluster', 'redis-stack-server'],
  valkey: ['valkey', 'valkey-cluster'],
};

/** The server an image is built for, from its repository name; undefined for any other image. */
export function serverOfImage(image: unknown): ServerKind | undefined {
  if (typeof image !== 'string') return undefined;
  const repo =
    image
      .split('@')[0]!
      .replace(/:[^/:]*$/, '')
      .split('/')
      .pop() ?? '';
  return (Object.keys(IMAGE_REPOSITORIES) as ServerKind[]).find((k) => IMAGE_REPOSITORIES[k].includes(repo));
}

/** The server a program path runs (`redis-server`, `/usr/local/bin/valkey-server`); undefined for anything else. */
export function serverOfProgram(program: string | undefined): ServerKind | undefined {
  if (program === undefined) return undefined;
  const base = path.basename(program);
  return (Object.keys(SERVERS) as ServerKind[]).find((k) => SERVERS[k].program === base);
}

/** A word (a command, an argument, a line of a script) that names a server program somewhere in it. */
export function mentionsServerProgram(word: string): boolean {
  return /\b(?:redis|valkey)-server\b/.test(word);
}

/**
 * Which server a container runs. The image decides when it is one of the servers' own: Valkey's images also
 * answer to `redis-server` (Valkey installs redis-* links to its programs), so `command: [redis-server]` in a
 * valkey image is Valkey. For any other image, the program the container starts decides; with neither, the
 * first server program its command or script names, else Redis (the container was picked for naming one).
 */
export function serverOfContainer(
  image: unknown,
  program: string | undefined,
  words: readonly string[] = [],
): ServerInfo {
  const fromWords = words.map((w) => /\b(redis|valkey)-server\b/.exec(w)?.[1] as ServerKind | undefined).find(Boolean);
  return SERVERS[serverOfImage(image) ?? serverOfProgram(program) ?? fromWords ?? 'redis'];
}
