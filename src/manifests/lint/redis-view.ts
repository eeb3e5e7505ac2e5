import type { Located, RedisDeployment, RedisDirective } from '../model.ts';
import { arrayAt, stringAt, type Path } from './rule.ts';

/** Path of the Redis container in the StatefulSet. */
export function containerPath(redis: RedisDeployment): Path {
  const containers = arrayAt(redis.statefulSet.body, ['spec', 'template', 'spec', 'containers']);
  const i = Math.max(
    0,
    containers.findIndex((c) => stringAt(c, ['name']) === redis.container.name),
  );
  return ['spec', 'template', 'spec', 'containers', i];
}

/** Where a field of the Redis container is written (or the container, when the field is missing). */
export function containerAt(redis: RedisDeployment, field?: string): Located {
  const p = containerPath(redis);
  return redis.statefulSet.locate(field ? [...p, field] : p);
}

/** The last (effective) occurrence of a directive. */
export function lastDirective(redis: RedisDeployment, name: string): RedisDirective | undefined {
  return redis.directives.findLast((d) => d.name === name);
}

/**
 * Where a directive is written; for one that is missing, where redis-server's configuration is given
 * (the container's args, else its command), which is where a fix would add it.
 */
export function directiveAt(redis: RedisDeployment, name: string): Located {
  return (
    lastDirective(redis, name)?.from.at ?? containerAt(redis, redis.container.args.length > 0 ? 'args' : 'command')
  );
}

/** How a directive is written, for messages: `cluster-node-timeout 5000 (redis.conf line 4)`. */
export function shown(d: RedisDirective): string {
  const source = d.from.kind === 'file' ? `${d.from.path} line ${d.from.line}` : 'container argument';
  return `${d.name} ${d.args.join(' ')} (${source})`;
}
