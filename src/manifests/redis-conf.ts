import path from 'node:path/posix';
import { InputError } from '../errors.ts';

/** One directive as redis-server reads it: lower-cased name, unquoted arguments, 1-based line in its file. */
export interface ConfDirective {
  name: string;
  args: string[];
  /** The file the directive is in (the config file, or a file it includes). */
  file: string;
  line: number;
}

export interface ConfOptions {
  /** In-container path of the text being parsed (used for error messages and included files). */
  file: string;
  /** Working directory of redis-server when it reads the file: relative includes resolve against it. */
  cwd: string;
  /** Content of an included file by absolute in-container path, or undefined when it does not exist. */
  readInclude?: (absolutePath: string) => string | undefined;
}

/** Directives whose first argument is a file or directory path (redis 7.0). */
export const PATH_DIRECTIVES = new Set([
  'dir',
  'cluster-config-file',
  'logfile',
  'pidfile',
  'unixsocket',
  'aclfile',
  'appenddirname',
  'dbfilename',
  'appendfilename',
  'tls-cert-file',
  'tls-key-file',
  'tls-client-cert-file',
  'tls-client-key-file',
  'tls-ca-cert-file',
  'tls-ca-cert-dir',
  'tls-dh-params-file',
]);

const MAX_INCLUDE_DEPTH = 16;

/**
 * Parses redis.conf text as redis-server does: one directive per line, `#` comment lines, arguments split with
 * "double" (C escapes) and 'single' quotes, names case-insensitive. `include` is expanded in place; `dir`
 * changes redis-server's working directory while it reads, so it moves where later relative includes point.
 */
export function parseRedisConf(text: string, opts: ConfOptions): ConfDirective[] {
  const out: ConfDirective[] = [];
  let cwd = opts.cwd;
  const visit = (content: string, file: string, depth: number) => {
    content.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const where = `${file}:${i + 1}`;
      const words = splitArgs(line, where);
      const name = words[0]!.toLowerCase();
      const args = words.slice(1);
      if (name === 'include') {
        if (args.length !== 1) throw new InputError(`${where}: include takes one file name, got ${args.length}`);
        const target = path.resolve(cwd, args[0]!);
        if (depth >= MAX_INCLUDE_DEPTH)
          throw new InputError(`${where}: include nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
        const included = opts.readInclude?.(target);
        if (included === undefined) {
          throw new InputError(
            `${where}: include ${target}: no such file in the container's mounted ConfigMaps (redis-server would not start)`,
          );
        }
        visit(included, target, depth + 1);
        return;
      }
      if (name === 'dir' && args[0] !== undefined) cwd = path.resolve(cwd, args[0]);
      out.push({ name, args, file, line: i + 1 });
    });
  };
  visit(text, opts.file, 0);
  return out;
}

/** A directive given on the redis-server command line; `index` is the position of its `--name` in argv. */
export interface ArgDirective {
  name: string;
  args: string[];
  index: number;
}

export interface RedisArgv {
  /** The config file argument as written (not resolved), and its index in argv. */
  configFile?: { path: string; index: number };
  directives: ArgDirective[];
}

/**
 * Reads redis-server's arguments (argv without the program name) as redis-server does: a first argument not
 * starting with `-` is the config file; then each `--name` starts a directive and the following plain arguments
 * are its values (`"--port 7000"` in one argument also works). `where(index)` names an argument in errors.
 */
export function parseRedisArgs(argv: readonly string[], where: (index: number) => string): RedisArgv {
  const result: RedisArgv = { directives: [] };
  let start = 0;
  if (argv[0] !== undefined && !argv[0].startsWith('-')) {
    result.configFile = { path: argv[0], index: 0 };
    start = 1;
  }
  let current: ArgDirective | undefined;
  for (let i = start; i < argv.length; i++) {
    const arg = argv[i]!;
    // As in redis-server, anything starting with `--` is an option name, never a value.
    if (arg.startsWith('--') && arg.length > 2) {
      const words = splitArgs(arg.slice(2), where(i));
      current = { name: words[0]!.toLowerCase(), args: words.slice(1), index: i };
      result.directives.push(current);
    } else if (current) {
      current.args.push(arg);
    } else {
      throw new InputError(
        `${where(i)}: "${arg}" is neither the config file (the first argument) nor an option (--name value)`,
      );
    }
  }
  return result;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/** sdssplitargs(): redis' own word splitting for config lines. `where` names the line in errors. */
export function splitArgs(line: string, where: string): string[] {
  const words: string[] = [];
  let i = 0;
  const unbalanced = () =>
    new InputError(`${where}: unbalanced quotes in "${line}" (redis-server would refuse to start)`);
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let word = '';
    let done = false;
    while (!done) {
      const c = line[i];
      if (c === undefined || /\s/.test(c)) {
        done = true;
      } else if (c === '"') {
        i++;
        for (;;) {
          const q = line[i];
          if (q === undefined) throw unbalanced();
          if (q === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
            word += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
            i += 4;
          } else if (q === '\\' && line[i + 1] !== undefined) {
            word += SIMPLE_ESCAPES[line[i + 1]!] ?? line[i + 1]!;
            i += 2;
          } else if (q === '"') {
            i++;
            break;
          } else {
            word += q;
            i++;
          }
        }
        // The closing quote must end the word.
        if (line[i] !== undefined && !/\s/.test(line[i]!)) throw unbalanced();
      } else if (c === "'") {
        i++;
        for (;;) {
          const q = line[i];
          if (q === undefined) throw unbalanced();
          if (q === '\\' && line[i + 1] === "'") {
            word += "'";
            i += 2;
          } else if (q === "'") {
            i++;
            break;
          } else {
            word += q;
            i++;
          }
        }
        if (line[i] !== undefined && !/\s/.test(line[i]!)) throw unbalanced();
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}
