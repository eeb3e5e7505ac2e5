import { type LintFinding, findingAt, type LintRule, type Path } from './rule.ts';
import type { ManifestObject } from '../model.ts';
import { removalOf } from './api-removed.ts';
import { validatorFor, type SchemaError } from './schemas.ts';

// Errors a more specific rule reports with a Redis-aware fix: `kind instancePath missingProperty`.
const REPORTED_ELSEWHERE = new Set(['StatefulSet /spec selector']);

/** JSON pointer (`/spec/ports/0/port`) to a locate() path. */
function pathOf(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: SchemaError): string {
  const p = e.params;
  switch (e.keyword) {
    case 'required':
      return `is missing required field ${String(p.missingProperty)}`;
    case 'type':
      return `must be ${p.type === 'integer' ? 'an integer' : `a ${String(p.type)}`}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'format':
      return `must be a valid ${String(p.format)}`;
    default:
      return `fails ${e.keyword} ${JSON.stringify(p)}`;
  }
}

/** One message per failing path: the alternatives of a oneOf/anyOf joined with "or", the rest with ";". */
function messagesByPath(errors: SchemaError[]): Map<string, { errors: SchemaError[]; text: string }> {
  const byPath = new Map<string, SchemaError[]>();
  for (const e of errors) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const out = new Map<string, { errors: SchemaError[]; text: string }>();
  for (const [path, list] of byPath) {
    const alternatives = list.some((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
    const parts = [...new Set(list.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf').map(describe))];
    const text = alternatives
      ? `must be ${parts.map((t) => t.replace(/^must be /, '')).join(' or ')}`
      : parts.join('; ');
    out.set(path, { errors: list, text });
  }
  return out;
}

function validate(obj: ManifestObject, apiVersion: string): LintFinding[] {
  const validator = validatorFor(apiVersion, obj.kind);
  if (!validator || validator({ ...obj.body, apiVersion })) return [];
  const findings: LintFinding[] = [];
  for (const [pointer, { errors, text }] of messagesByPath(validator.errors ?? [])) {
    const missing = errors.filter((e) => e.keyword === 'required').map((e) => String(e.params.missingProperty));
    if (missing.length > 0 && missing.every((m) => REPORTED_ELSEWHERE.has(`${obj.kind} ${pointer} ${m}`))) continue;
    const where = pointer === '' ? '' : ` ${pointer.slice(1).replace(/\//g, '.')}`;
    findings.push(
      findingAt(
        'schema',
        'error',
        obj,
        pathOf(pointer),
        `${obj.kind} ${obj.name}:${where} ${text} (${apiVersion} schema)`,
        'The API server rejects an object that does not match its schema, so the Redis Cluster never gets ' +
          'deployed; correct the field as the Kubernetes API reference for this kind describes.',
      ),
    );
  }
  return findings;
}

export const schema: LintRule = {
  id: 'schema',
  summary: 'objects checked against the Kubernetes OpenAPI schema (kubernetes-models)',
  check({ set, kubernetes }) {
    // A removed apiVersion is checked against the version that replaces it: the fields it needs are the
    // next thing the user will trip over after changing the apiVersion line.
    return set.objects.flatMap((obj) =>
      validate(obj, removalOf(obj.apiVersion, obj.kind, kubernetes)?.use ?? obj.apiVersion),
    );
  },
};
