import path from 'node:path/posix';
import { locateLineInString } from '../load.ts';
import type { Located, ManifestObject } from '../model.ts';
import { arrayAt, stringsIn, type Path } from './rule.ts';

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh']);

/**
 * True when the string at `p` is shell code: an element of command/args whose command is a shell, or a
 * ConfigMap script. A shell expands `$VAR` and handles quotes itself, so neither is a fault there.
 */
export function isShellCode(obj: ManifestObject, p: Path, value: string): boolean {
  const i = p.findLastIndex((s) => s === 'command' || s === 'args');
  if (i >= 0) {
    const program = arrayAt(obj.body, [...p.slice(0, i), 'command'])[0];
    return typeof program === 'string' && SHELLS.has(path.basename(program));
  }
  return obj.kind === 'ConfigMap' && (String(p[p.length - 1]).endsWith('.sh') || value.startsWith('#!'));
}

/**
 * Each line of every string value that is not shell code. `locate()` says where it is written: called only for
 * a finding, since finding a position costs far more than the check (a large ConfigMap has many lines).
 */
export function* valueLines(
  obj: ManifestObject,
): Generator<{ path: Path; text: string; locate: () => Located; multiline: boolean }> {
  for (const [p, value] of stringsIn(obj.body)) {
    if (p[0] === 'apiVersion' || p[0] === 'kind' || isShellCode(obj, p, value)) continue;
    const lines = value.split('\n');
    const multiline = lines.length > 1;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() === '') continue;
      const n = i + 1;
      const locate = () => (multiline ? locateLineInString(obj, p, n) : undefined) ?? obj.locate(p);
      yield { path: p, text: lines[i]!, locate, multiline };
    }
  }
}
