import type { LintFinding, LintRule } from './rule.ts';
import { valueLines } from './value-context.ts';

const ID = 'stray-quote';

/** A quote character at either end of a value with no partner: left over from editing, never intended. */
function strayQuote(text: string): string | undefined {
  const t = text.trim();
  return ['"', "'"].find((q) => (t.startsWith(q) || t.endsWith(q)) && t.split(q).length % 2 === 0);
}

export const strayQuoteRule: LintRule = {
  id: ID,
  summary: 'values starting or ending with an unbalanced quote',
  check({ set }) {
    const findings: LintFinding[] = [];
    for (const obj of set.objects) {
      for (const { path, text, locate, multiline } of valueLines(obj)) {
        if (multiline) continue; // config file content: its own parser judges quotes (redis.conf does)
        const q = strayQuote(text);
        if (!q) continue;
        findings.push({
          rule: ID,
          severity: 'error',
          message: `${obj.kind} ${obj.name}: ${path.join('.')} is ${JSON.stringify(text)}, with an unbalanced ${q}`,
          fix:
            `YAML keeps the ${q} as part of the value, so Kubernetes uses it literally (a host name ending in ${q} ` +
            'does not resolve and the volume never mounts); remove the stray quote or quote the whole value.',
          at: locate(),
        });
      }
    }
    return findings;
  },
};
