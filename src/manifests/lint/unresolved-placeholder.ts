import { type LintFinding, arrayAt, stringAt, type LintRule, type Path } from './rule.ts';
import { valueLines } from './value-context.ts';

const ID = 'unresolved-placeholder';

// ${VAR}, ${VAR:-default} and unrendered templates ({{ .Values.x }}) anywhere; a whole value that is $VAR
// outside Secrets (a password may well be "$ecret").
const PLACEHOLDER = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=?+][^}]*)?\}|\{\{[^}]*\}\}/;
const BARE_VARIABLE = /^\s*\$[A-Za-z_][A-Za-z0-9_]*["']?\s*$/;
// $(VAR) in command, args and env values is expanded by Kubernetes only when VAR is defined in the container's env.
const K8S_REFERENCE = /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g;

/** Env names of the container that holds `p` (a path through …containers/N/…). */
function containerEnv(body: Parameters<typeof arrayAt>[0], p: Path): Set<string> | undefined {
  const i = p.findLastIndex((s) => s === 'containers' || s === 'initContainers');
  if (i < 0 || typeof p[i + 1] !== 'number' || !['command', 'args', 'env'].includes(String(p[i + 2]))) return undefined;
  if (arrayAt(body, [...p.slice(0, i + 2), 'envFrom']).length > 0) return undefined; // names we cannot see
  return new Set(arrayAt(body, [...p.slice(0, i + 2), 'env']).map((e) => stringAt(e, ['name']) ?? ''));
}

export const unresolvedPlaceholder: LintRule = {
  id: ID,
  summary: 'placeholders left unresolved (${VAR}, $VAR, {{ }}, $(VAR) without an env entry)',
  check({ set }) {
    const findings: LintFinding[] = [];
    for (const obj of set.objects) {
      for (const { path, text, locate } of valueLines(obj)) {
        const env = containerEnv(obj.body, path);
        const undefinedRefs = env
          ? [...text.matchAll(K8S_REFERENCE)].filter((m) => !env.has(m[1]!)).map((m) => m[0])
          : [];
        const bare = obj.kind === 'Secret' ? undefined : BARE_VARIABLE.exec(text)?.[0];
        const placeholder = (PLACEHOLDER.exec(text)?.[0] ?? bare)?.trim() ?? undefinedRefs[0];
        if (!placeholder) continue;
        findings.push({
          rule: ID,
          severity: 'error',
          message: `${obj.kind} ${obj.name}: ${path.join('.')} holds the unresolved placeholder ${placeholder}`,
          fix:
            'Nothing substitutes variables in manifests or redis.conf: the value is used literally (an NFS ' +
            'server named "${X}", an announce address that is not an IP), so the Redis pod fails to mount or to ' +
            'join. Substitute it before applying (envsubst, kustomize, Helm), or for container args use $(VAR) with ' +
            'VAR defined in env.',
          at: locate(),
        });
      }
    }
    return findings;
  },
};
