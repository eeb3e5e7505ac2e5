import { InputError } from '../errors.ts';
import type { EnvVar, RedisDeployment, RedisDirective } from '../manifests/model.ts';
import { expandVars } from '../platform/local/expand.ts';
import type { RedisAuth } from '../platform/platform.ts';
import { registerSecret } from '../util/secrets.ts';

/** Where the tool looks for a password, for the error when a node wants one and none was found. */
export const AUTH_LOOKED_IN =
  'requirepass / masterauth / masteruser in redis.conf and the redis-server arguments, env variables they ' +
  'reference (literal, or from a Secret in the manifests), and the redis-password input';

function describeDirective(d: RedisDirective): string {
  const at = d.from.at ? ` (${d.from.at.file}:${d.from.at.line})` : '';
  return d.from.kind === 'file' ? `${d.name} in ${d.from.path}${at}` : `redis-server argument --${d.name}${at}`;
}

/**
 * The password Redis will demand, read from the manifests: requirepass (what clients must send), else
 * masterauth (replicas log in with it, so a cluster needs it equal to requirepass); masteruser names the ACL
 * user. `$(VAR)` in arguments resolves through the container's env, Secrets included. An explicit password
 * (the redis-password input) wins. Every password found is registered as a secret (redacted everywhere).
 * InputError when the manifests set a password whose value cannot be known.
 */
export function redisAuth(
  redis: RedisDeployment,
  explicit?: { password: string; source: string },
): RedisAuth | undefined {
  const last = (name: string) => redis.directives.findLast((d) => d.name === name);
  const user = last('masteruser');
  if (explicit) {
    registerSecret(explicit.password);
    return {
      password: explicit.password,
      source: explicit.source,
      ...(user?.args[0] ? { username: user.args[0] } : {}),
    };
  }
  const found = last('requirepass') ?? last('masterauth');
  if (!found) return undefined;
  const value = resolve(found, redis.container.env);
  const username = user ? resolve(user, redis.container.env) : undefined;
  registerSecret(value.value);
  if (value.value === undefined) {
    throw new InputError(
      `${describeDirective(found)} is ${value.why ?? 'not set'}; the tool cannot log in to Redis. Looked in: ${AUTH_LOOKED_IN}. ` +
        'Put the password in a Secret among the manifests, or pass it as the redis-password input',
    );
  }
  return {
    password: value.value,
    source: `${describeDirective(found)}${value.via ? ` via ${value.via}` : ''}`,
    ...(username?.value ? { username: username.value } : {}),
  };
}

/**
 * Registers as secrets every password the deployment states (each requirepass and masterauth, literal or through
 * env), whichever one the tool logs in with: a chart may write them in plain text into a ConfigMap's redis.conf,
 * and its rendered copy is kept in the report artifact (src/manifests/render.ts redactRendered).
 */
export function registerStatedPasswords(redis: RedisDeployment): void {
  for (const d of redis.directives)
    if (d.name === 'requirepass' || d.name === 'masterauth') registerSecret(resolve(d, redis.container.env).value);
}

function resolve(d: RedisDirective, env: EnvVar[]): { value?: string; via?: string; why?: string } {
  const raw = d.args[0] ?? '';
  if (d.from.kind === 'file') {
    if (/\$\{?[A-Za-z_]|\{\{/.test(raw)) return { why: 'a placeholder an init container fills in' };
    return { value: raw };
  }
  const refs: string[] = [];
  let missing: EnvVar | undefined;
  const value = expandVars(raw, (name) => {
    const e = env.find((x) => x.name === name);
    if (!e) return undefined;
    refs.push(e.from ? `env ${name} from ${e.from.description}` : `env ${name}`);
    if (e.value === undefined) missing = e;
    return e.value;
  });
  if (missing)
    return {
      why: `env ${missing.name}, ${missing.from ? `from ${missing.from.description}, which is not among the manifests` : 'which has no value'}`,
    };
  if (value.includes('$(') || (raw.includes('$(') && refs.length === 0))
    return { why: `${raw}, which no env variable of the container defines` };
  return { value, ...(refs.length ? { via: refs.join(', ') } : {}) };
}
