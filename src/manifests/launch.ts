import path from 'node:path/posix';
import type { Located } from './model.ts';
import { serverOfProgram } from './server.ts';
import { isShellScript, shellCommands, shellInvocation, type ShellWord } from './shell.ts';

/** A file the container sees from a ConfigMap or Secret in the manifests, with the position of each of its lines. */
export interface KnownFile {
  text: string;
  /** Where the file is described (e.g. "ConfigMap redis-cluster key update-node.sh"). */
  description: string;
  locateLine(line: number): Located;
}

export interface LaunchContext {
  /** Variables the container's env defines: a shell `$NAME` of one of them becomes Kubernetes' `$(NAME)`. */
  envNames: ReadonlySet<string>;
  /** A file at an absolute container path, when the manifests hold it. */
  readFile(containerPath: string): KnownFile | undefined;
}

/** redis-server's command line as the container ends up running it. */
export interface RedisInvocation {
  /** Program first; shell variables from the container's env written as `$(NAME)`. */
  argv: string[];
  /** Where each word of argv is written. */
  at: Located[];
  /** Words whose value only the running container knows (command substitutions, script variables). */
  dynamic: Map<number, string[]>;
  /** What runs first and execs redis-server; undefined when the container runs redis-server itself. */
  wrapper?: { description: string; at: Located };
}

/** The server programs the container may exec (Valkey is Redis' fork and reads the same configuration). */
export function isRedisServerProgram(program: string | undefined): boolean {
  return serverOfProgram(program) !== undefined;
}

/**
 * Finds redis-server behind what the container runs: directly, after a wrapper that gets it as arguments
 * (`/conf/update-node.sh redis-server /conf/redis.conf`, the script ending in `exec "$@"`), in a `sh -c` script,
 * or in a script file from a ConfigMap. `at(i)` is where argv[i] is written. Returns why not when it cannot.
 */
export function findRedisInvocation(
  argv: string[],
  at: (i: number) => Located,
  ctx: LaunchContext,
): RedisInvocation | { notFound: string } {
  if (isRedisServerProgram(argv[0])) return { argv, at: argv.map((_, i) => at(i)), dynamic: new Map() };
  const shell = shellInvocation(argv);
  if (shell) {
    const scriptAt = at(shell.scriptIndex);
    const found = fromScript(
      shell.script,
      shell.positional.map((_, i) => ({ word: shell.positional[i]!, at: at(shell.scriptIndex + 2 + i) })),
      () => scriptAt,
      ctx,
    );
    if (found) return { ...found, wrapper: { description: `${path.basename(argv[0]!)} -c script`, at: scriptAt } };
    return { notFound: `its ${path.basename(argv[0]!)} -c script runs no redis-server` };
  }
  const file = argv[0] ? ctx.readFile(argv[0]) : undefined;
  const k = argv.findIndex(isRedisServerProgram);
  if (k > 0) {
    return {
      argv: argv.slice(k),
      at: argv.slice(k).map((_, i) => at(k + i)),
      dynamic: new Map(),
      wrapper: { description: `${argv.slice(0, k).join(' ')}${file ? ` (${file.description})` : ''}`, at: at(0) },
    };
  }
  if (file && isShellScript(file.text)) {
    const found = fromScript(
      file.text,
      argv.slice(1).map((word, i) => ({ word, at: at(i + 1) })),
      (line) => file.locateLine(line),
      ctx,
    );
    if (found) return { ...found, wrapper: { description: `${argv[0]!} (${file.description})`, at: at(0) } };
    return { notFound: `${argv[0]!} (${file.description}) runs no redis-server` };
  }
  return {
    notFound: file
      ? `${argv[0]!} (${file.description}) is not a shell script`
      : `${JSON.stringify(argv[0] ?? '')} is not among the manifests (a script of the image?)`,
  };
}

/** The last redis-server command of a script (`exec redis-server …`, or `exec "$@"` with redis-server in $1). */
function fromScript(
  script: string,
  positional: Array<{ word: string; at: Located }>,
  locateLine: (line: number) => Located,
  ctx: LaunchContext,
): Omit<RedisInvocation, 'wrapper'> | undefined {
  const commands = shellCommands(script, { expand: (name) => (ctx.envNames.has(name) ? `$(${name})` : undefined) });
  const lineOf = lineFinder(script);
  for (let c = commands.length - 1; c >= 0; c--) {
    let words = commands[c]!;
    let start = 0;
    while (
      start < words.length &&
      (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[start]!.text) || words[start]!.text === 'exec')
    )
      start++;
    words = words.slice(start);
    let expanded = expandPositional(words, positional);
    // A wrapper the script execs with redis-server as its arguments (`exec /conf/fix-ip.sh redis-server …`).
    const k = /^\.?\//.test(expanded[0]?.word ?? '') ? expanded.findIndex((w) => isRedisServerProgram(w.word)) : 0;
    if (k > 0) expanded = expanded.slice(k);
    if (!isRedisServerProgram(expanded[0]?.word)) continue;
    const scriptAt = locateLine(lineOf(words[0]!.text));
    const dynamic = new Map<number, string[]>();
    expanded.forEach((w, i) => {
      if (w.dynamic.length) dynamic.set(i, w.dynamic);
    });
    return { argv: expanded.map((w) => w.word), at: expanded.map((w) => w.at ?? scriptAt), dynamic };
  }
  return undefined;
}

function expandPositional(words: ShellWord[], positional: Array<{ word: string; at: Located }>) {
  const out: Array<{ word: string; dynamic: string[]; at?: Located }> = [];
  for (const w of words) {
    const n = /^\$\{?([1-9])\}?$/.exec(w.text);
    if (w.positional) out.push(...positional.map((p) => ({ word: p.word, dynamic: [], at: p.at })));
    else if (n) {
      const p = positional[Number(n[1]) - 1];
      if (p) out.push({ word: p.word, dynamic: [], at: p.at });
    } else out.push({ word: w.text, dynamic: w.dynamic });
  }
  return out;
}

/** The 1-based line of the first occurrence of `needle` in `text` (1 when absent). */
function lineFinder(text: string): (needle: string) => number {
  return (needle) => {
    const i = text.indexOf(needle);
    return i < 0 ? 1 : text.slice(0, i).split('\n').length;
  };
}

/** Where an init container renders the config file from: a template it reads from a ConfigMap or Secret mount. */
export interface RenderedConfig {
  initContainer: string;
  /** The template's container path in the init container, and the file. */
  template?: { path: string; file: KnownFile };
  at: Located;
}

/**
 * The init container that writes `target` (a path in the init container's own view), and the template it
 * renders from when one of the files it mentions is in the manifests (`cp`, `sed … tmpl > target`, `envsubst`).
 */
export function findConfigRenderer(
  inits: Array<{
    name: string;
    argv: string[];
    at: Located;
    readFile(p: string): KnownFile | undefined;
    target: string | undefined;
  }>,
): RenderedConfig | undefined {
  for (const init of inits) {
    if (init.target === undefined) continue;
    const shell = shellInvocation(init.argv);
    const words = (
      shell
        ? shellCommands(shell.script)
            .flat()
            .map((w) => w.text)
        : init.argv
    ).filter((w) => w.startsWith('/'));
    const targetDir = path.dirname(init.target);
    if (!words.some((w) => w === init.target || w === targetDir || w.startsWith(`${targetDir}/`))) continue;
    const candidates = words
      .filter((w) => w !== init.target)
      .flatMap((w) => {
        const file = init.readFile(w);
        return file ? [{ path: w, file }] : [];
      });
    const base = path.basename(init.target);
    const template =
      candidates.find((c) => path.basename(c.path).startsWith(base.replace(/\.conf$/, ''))) ?? candidates[0];
    return { initContainer: init.name, ...(template ? { template } : {}), at: init.at };
  }
  return undefined;
}
