import { spawnSync } from 'node:child_process';

export interface LintResult {
  ok: boolean;
  output: string;
}

/** Run xmllint on a document given as a string (stdin). Throws when xmllint itself is missing. */
export function xmllint(args: string[], document: string): LintResult {
  const r = spawnSync('xmllint', [...args, '-'], { input: document, encoding: 'utf8' });
  if (r.error) {
    throw new Error(`xmllint could not run (${r.error.message}); install it with: apt-get install -y libxml2-utils`);
  }
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}
