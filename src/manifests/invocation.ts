import path from 'node:path/posix';
import type { RedisContainer } from './container.ts';
import { findRedisInvocation, type RedisInvocation } from './launch.ts';
import type { LaunchGap, Located } from './model.ts';
import { knownFile } from './mounts.ts';
import { parseRedisArgs, type RedisArgv } from './redis-conf.ts';
import { serverOfContainer, type ServerInfo } from './server.ts';

/** How the Redis container starts its server, as far as the manifests tell. */
export interface ServerLaunch {
  /** undefined when the server's command line is known only when the pod runs (a gap says why). */
  invocation: RedisInvocation | undefined;
  server: ServerInfo;
  /** The server's argv, program first; empty without an invocation. */
  redisArgv: string[];
  /** Where redisArgv[i] is written (only with an invocation). */
  argAt: (i: number) => Located;
  /** Its arguments as the server reads them: the config file, then directives. */
  parsed: RedisArgv;
}

/** Finds the server's command line in the container (directly, behind a wrapper or a script); gaps said into `gaps`. */
export function readServerLaunch(c: RedisContainer, gaps: LaunchGap[]): ServerLaunch {
  const at = (i: number) => c.sts.locate(c.argvPath(i));
  const found = findRedisInvocation(c.argv, at, {
    envNames: new Set(c.env.map((e) => e.name)),
    readFile: (p) => knownFile(c.set, c.mountFor(path.resolve(c.workingDir, p)), path.resolve(c.workingDir, p)),
  });
  const invocation = 'notFound' in found ? undefined : found;
  const server = serverOfContainer(c.body.image, invocation?.argv[0], [...c.command, ...c.args]);
  const program = server.program;
  if ('notFound' in found) {
    gaps.push({
      at: at(0),
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
  const parsed = parseRedisArgs(redisArgv.slice(1), (i) => describeAt(argAt(i + 1)));
  return { invocation, server, redisArgv, argAt, parsed };
}

export function describeAt(l: Located): string {
  return `${l.file}:${l.line}`;
}
