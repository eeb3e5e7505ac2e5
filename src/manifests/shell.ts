/**
 * Just enough of the POSIX shell grammar to find the commands a container's script runs: words with '…' and
 * "…" quoting and backslashes, commands separated by newlines, `;`, `&&`, `||`, `|` and `&`, and expansions kept
 * visible. Not an interpreter: control flow is flattened (every command of every branch is listed).
 */

/** A word of a simple command; `$…` expansions left in place are listed in `dynamic`. */
export interface ShellWord {
  /** The word with quotes removed; parameter expansions rewritten by `expand` or kept as written. */
  text: string;
  /** Expansions whose value is only known when the script runs (`$(hostname -i)`, a variable the script sets). */
  dynamic: string[];
  /** True for a bare or quoted `$@` / `$*`: stands for the positional parameters, one word each. */
  positional?: boolean;
}

export interface ShellOptions {
  /** Rewrites a parameter expansion `$NAME` / `${NAME}`; undefined keeps it as written (and dynamic). */
  expand?: (name: string) => string | undefined;
}

/** The simple commands of a script, in order, each a list of words (assignments and `exec` included). */
export function shellCommands(script: string, opts: ShellOptions = {}): ShellWord[][] {
  const commands: ShellWord[][] = [];
  let words: ShellWord[] = [];
  let word: ShellWord | undefined;
  const cur = (): ShellWord => (word ??= { text: '', dynamic: [] });
  const endWord = () => {
    if (word) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  /** Reads a `$…` expansion at i (script[i] === '$'); returns the index after it. */
  const dollar = (i: number): number => {
    const w = cur();
    const next = script[i + 1];
    if (next === '(') {
      const end = matching(script, i + 1, '(', ')');
      const raw = script.slice(i, end);
      w.text += raw;
      w.dynamic.push(raw);
      return end;
    }
    if (next === '@' || next === '*') {
      w.text += `$${next}`;
      w.positional = true;
      return i + 2;
    }
    let name: string | undefined;
    let end: number;
    if (next === '{') {
      const close = script.indexOf('}', i + 2);
      end = close < 0 ? script.length : close + 1;
      name = script.slice(i + 2, close < 0 ? script.length : close);
    } else {
      const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9#?$!-])/.exec(script.slice(i + 1));
      if (!m) {
        w.text += '$';
        return i + 1;
      }
      name = m[1]!;
      end = i + 1 + name.length;
    }
    const raw = script.slice(i, end);
    const value = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? opts.expand?.(name) : undefined;
    if (value !== undefined) w.text += value;
    else {
      w.text += raw;
      w.dynamic.push(raw);
    }
    return end;
  };
  let i = 0;
  while (i < script.length) {
    const c = script[i]!;
    if (c === '\\' && script[i + 1] === '\n') {
      i += 2; // line continuation
    } else if (c === '\\') {
      cur().text += script[i + 1] ?? '';
      i += 2;
    } else if (c === "'") {
      const close = script.indexOf("'", i + 1);
      const end = close < 0 ? script.length : close;
      cur().text += script.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      const w = cur();
      i++;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === '\\' && /["\\$`\n]/.test(script[i + 1] ?? '')) {
          if (script[i + 1] !== '\n') w.text += script[i + 1]!;
          i += 2;
        } else if (script[i] === '$') {
          i = dollar(i);
        } else {
          w.text += script[i]!;
          i++;
        }
      }
      i++;
    } else if (c === '`') {
      const close = script.indexOf('`', i + 1);
      const end = close < 0 ? script.length : close + 1;
      const raw = script.slice(i, end);
      cur().text += raw;
      cur().dynamic.push(raw);
      i = end;
    } else if (c === '$') {
      i = dollar(i);
    } else if (c === '#' && !word) {
      while (i < script.length && script[i] !== '\n') i++;
    } else if (c === '\n' || c === ';' || c === '&' || c === '|' || c === '(' || c === ')') {
      endCommand();
      i++;
    } else if (c === '<' || c === '>') {
      // Redirections: their own word, so `>/etc/redis/redis.conf` names the file it writes.
      endWord();
      words.push({ text: c, dynamic: [] });
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      i++;
    } else {
      cur().text += c;
      i++;
    }
  }
  endCommand();
  return commands;
}

/** Index after the bracket that closes the one at `open`. */
function matching(s: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === o) depth++;
    else if (s[i] === c && --depth === 0) return i + 1;
  }
  return s.length;
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'busybox']);

/** `sh -c SCRIPT [$0 [$1…]]` (also `-ec`, `-xc`, `/bin/bash -c`): the script and its positional parameters. */
export function shellInvocation(
  argv: readonly string[],
): { script: string; scriptIndex: number; positional: string[] } | undefined {
  const program = argv[0]?.split('/').pop();
  if (!program || !SHELLS.has(program)) return undefined;
  let i = program === 'busybox' ? 2 : 1;
  if (program === 'busybox' && !SHELLS.has(argv[1] ?? '')) return undefined;
  let sawC = false;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) if (/^-[a-z]*c[a-z]*$/.test(argv[i]!)) sawC = true;
  if (!sawC || argv[i] === undefined) return undefined;
  // $0 is the word after the script; $1… follow it.
  return { script: argv[i]!, scriptIndex: i, positional: argv.slice(i + 2) };
}

/** Reads `#!/bin/sh` scripts: the first line names the interpreter. */
export function isShellScript(text: string): boolean {
  const first = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(text);
  if (!first) return false;
  const prog = first[1]!.split('/').pop()!;
  return SHELLS.has(prog) || (prog === 'env' && SHELLS.has(first[2] ?? ''));
}

/** A parameter expansion of a script: `$NAME`, `${NAME}`, `${NAME:-x}`, … with its 1-based line. */
export interface ParameterRef {
  name: string;
  line: number;
  /** plain: empty when unset; guarded: a default or alternate is given (`:-`, `-`, `:=`, `=`, `:+`, `+`);
   * required: the shell exits when it is unset (`:?`, `?`). */
  use: 'plain' | 'guarded' | 'required';
}

/**
 * The named parameter expansions a script makes, outside single quotes, comments and quoted here-documents
 * (POSIX Shell Command Language 2.6.2: `${parameter:-word}` and its siblings). `$(NAME)` with an all-capitals
 * name is listed too, as `kubernetes`: Kubernetes expands `$(NAME)` in command and args only for a variable the
 * container defines and leaves it as written otherwise, when the shell then runs NAME as a command.
 */
export function parameterRefs(
  script: string,
): Array<ParameterRef | (Omit<ParameterRef, 'use'> & { use: 'kubernetes' })> {
  const refs: Array<ParameterRef | (Omit<ParameterRef, 'use'> & { use: 'kubernetes' })> = [];
  let line = 1;
  let inDouble = false;
  let wordStart = true;
  let pendingHeredoc: { delimiter: string; quoted: boolean } | undefined;
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === '\n') {
      line++;
      wordStart = true;
      const heredoc = pendingHeredoc;
      pendingHeredoc = undefined;
      if (heredoc) {
        // Body lines until the delimiter alone on a line; expansions only where the delimiter was unquoted.
        while (i + 1 < script.length) {
          const end = script.indexOf('\n', i + 1);
          const body = script.slice(i + 1, end < 0 ? script.length : end);
          if (body.replace(/^\t+/, '') === heredoc.delimiter) {
            i = end < 0 ? script.length : end - 1;
            break;
          }
          if (!heredoc.quoted) for (const r of parameterRefs(body)) refs.push({ ...r, line: line + r.line - 1 });
          line++;
          i = end < 0 ? script.length : end;
          if (end < 0) break;
        }
      }
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (!inDouble && c === "'") {
      const close = script.indexOf("'", i + 1);
      const end = close < 0 ? script.length : close;
      line += script.slice(i, end).split('\n').length - 1;
      i = end;
      wordStart = false;
      continue;
    }
    if (c === '"') {
      inDouble = !inDouble;
      wordStart = false;
      continue;
    }
    if (!inDouble && c === '#' && wordStart) {
      while (i + 1 < script.length && script[i + 1] !== '\n') i++;
      continue;
    }
    if (!inDouble && c === '<' && script[i + 1] === '<' && script[i + 2] !== '<') {
      const m = /^<<-?\s*(['"]?)([A-Za-z0-9_.-]+)\1/.exec(script.slice(i));
      if (m) {
        pendingHeredoc = { delimiter: m[2]!, quoted: m[1] !== '' };
        i += m[0].length - 1;
        continue;
      }
    }
    wordStart = c === ' ' || c === '\t' || c === ';' || c === '&' || c === '|' || c === '(';
    if (c !== '$') continue;
    if (script[i + 1] === '$') {
      i++; // `$$`: the shell's PID (and Kubernetes' escape for a literal `$(NAME)`)
      continue;
    }
    const rest = script.slice(i + 1);
    const braced = /^\{(#?)([A-Za-z_][A-Za-z0-9_]*)(:?[-=+?])?/.exec(rest);
    if (braced) {
      const op = braced[3]?.replace(':', '');
      const use = op === undefined || braced[1] ? 'plain' : op === '?' ? 'required' : 'guarded';
      refs.push({ name: braced[2]!, line, use });
      i += braced[0].length;
      continue;
    }
    const kube = /^\(([A-Z_][A-Z0-9_]*)\)/.exec(rest);
    if (kube) {
      refs.push({ name: kube[1]!, line, use: 'kubernetes' });
      i += kube[0].length;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (bare) {
      refs.push({ name: bare[0], line, use: 'plain' });
      i += bare[0].length;
    }
  }
  return refs;
}

const DECLARERS = new Set(['export', 'local', 'readonly', 'declare', 'typeset']);

/** Names a script gives a value itself: `NAME=…`, `export NAME`, `read NAME`, `for NAME in`, `getopts … NAME`. */
export function assignedNames(script: string): Set<string> {
  const names = new Set<string>();
  const name = (w: string) => /^([A-Za-z_][A-Za-z0-9_]*)(=|$)/.exec(w)?.[1];
  for (const words of shellCommands(script)) {
    const texts = words.map((w) => w.text);
    let k = 0;
    for (; k < texts.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(texts[k]!); k++) names.add(name(texts[k]!)!);
    const [cmd, ...rest] = texts.slice(k);
    if (cmd === undefined) continue;
    if (DECLARERS.has(cmd) || cmd === 'read') for (const w of rest) if (!w.startsWith('-')) names.add(name(w) ?? '');
    if (cmd === 'for' && rest[0] !== undefined) names.add(name(rest[0]) ?? '');
    if (cmd === 'getopts' && rest[1] !== undefined) names.add(name(rest[1]) ?? '');
  }
  names.delete('');
  return names;
}
