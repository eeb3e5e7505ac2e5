import path from 'node:path/posix';
import { shellCommands } from './shell.ts';

/** A config file a container's own script writes before it starts the server, as far as the script shows it. */
export interface ScriptWrittenFile {
  /** The file's content; an unquoted here-document keeps its `$VAR` expansions as placeholders. */
  text: string;
  /** The script line each line of `text` comes from (1-based). */
  scriptLine: number[];
  /** True when expansions fill parts of it in only when the script runs. */
  templated: boolean;
}

/**
 * What `script` writes to `target` (an absolute container path) with here-documents (`cat > F <<EOF … EOF`,
 * `cat <<'EOF' > F`, `tee`), `echo`/`printf` redirected to it (`>` truncates, `>>` appends), in script order.
 * 'unknown' when the script redirects into the file in a way not read here (a program's output, a pipe):
 * the pod knows, lint does not. undefined when the script does not write the file at all.
 */
export function fileWrittenByScript(
  script: string,
  target: string,
  cwd: string,
): ScriptWrittenFile | 'unknown' | undefined {
  const lines = script.split('\n');
  const writes = (word: string | undefined) => word !== undefined && path.resolve(cwd, word) === target;
  let out: ScriptWrittenFile | undefined;
  let unknown = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = hereDocument(lines, i);
    const words = shellCommands(line).flat();
    const texts = words.map((w) => w.text);
    const redirect = texts.findIndex((t, k) => t === '>' && writes(texts[k + (texts[k + 1] === '>' ? 2 : 1)]));
    const tee = texts.findIndex((t, k) => t === 'tee' && texts.slice(k + 1).some((w) => writes(w)));
    if (redirect < 0 && tee < 0) {
      // Another file's here-document: its body is that file's text, not commands (a `> /data/redis.conf` in it
      // writes nothing).
      if (heredoc) i = heredoc.end;
      continue;
    }
    const append = redirect >= 0 && texts[redirect + 1] === '>';
    const base: ScriptWrittenFile = append && out ? out : { text: '', scriptLine: [], templated: false };
    if (heredoc) {
      for (const [k, body] of heredoc.body.entries()) {
        base.text += `${body}\n`;
        base.scriptLine.push(i + 2 + k);
        if (!heredoc.quoted && /\$[{(A-Za-z_]|`/.test(body)) base.templated = true;
      }
      out = base;
      i = heredoc.end;
      continue;
    }
    const cmd = texts[0];
    if ((cmd === 'echo' || cmd === 'printf') && redirect > 0) {
      const args = words.slice(1, redirect).filter((w, k) => !(cmd === 'echo' && k === 0 && /^-[neE]+$/.test(w.text)));
      let text = args.map((w) => w.text).join(' ');
      if (cmd === 'printf') text = text.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
      else text += '\n';
      for (const piece of text.split('\n').slice(0, -1)) {
        base.text += `${piece}\n`;
        base.scriptLine.push(i + 1);
      }
      if (args.some((w) => w.dynamic.length > 0)) base.templated = true;
      out = base;
      continue;
    }
    unknown = true;
  }
  return out ?? (unknown ? 'unknown' : undefined);
}

/**
 * The here-document that line `i` opens (`<<EOF`, `<<-'EOF'`; not the here-string `<<<`): its body lines (tabs
 * stripped for `<<-`), whether the delimiter is quoted (no expansion), and the index of its closing line.
 */
function hereDocument(lines: string[], i: number): { body: string[]; quoted: boolean; end: number } | undefined {
  const line = lines[i]!;
  const m = /(?<!<)<<(?!<)(-?)\s*(['"]?)([A-Za-z0-9_.-]+)\2/.exec(line);
  if (!m) return undefined;
  const strip = m[1] === '-';
  const body: string[] = [];
  let j = i + 1;
  for (; j < lines.length; j++) {
    const text = strip ? lines[j]!.replace(/^\t+/, '') : lines[j]!;
    if (text === m[3]) break;
    body.push(text);
  }
  return { body, quoted: m[2] !== '', end: j };
}
