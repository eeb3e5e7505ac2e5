import type { EnvVar } from '../../manifests/model.ts';

/**
 * Kubernetes' $(VAR) expansion (k8s.io/kubernetes third_party/forked/golang/expansion): `$(NAME)` becomes the
 * variable's value when it is defined and stays as written when not, `$$` is a literal `$`, any other `$` is kept.
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        // An unclosed reference is literal text.
        out += '$(';
        i += 2;
      } else {
        const name = input.slice(i + 2, close);
        out += lookup(name) ?? `$(${name})`;
        i = close + 1;
      }
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

/** What the downward API exposes of a local pod. */
export interface PodFields {
  name: string;
  namespace: string;
  uid: string;
  ip: string;
  labels: Record<string, string>;
}

/** Value of a downward-API fieldRef path, or undefined when the local platform cannot provide it. */
export function fieldValue(path: string, pod: PodFields): string | undefined {
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return pod.labels[label[1]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.name;
    case 'metadata.namespace':
      return pod.namespace;
    case 'metadata.uid':
      return pod.uid;
    case 'status.podIP':
    case 'status.podIPs':
      return pod.ip;
    case 'spec.nodeName':
      return 'local';
    case 'spec.serviceAccountName':
      return 'default';
    default:
      return undefined;
  }
}

/**
 * The container's environment as the kubelet builds it: fieldRefs resolved, literal values expanded against the
 * variables defined before them. Throws for what cannot be emulated; `warn` hears about entries with no value.
 */
export function containerEnv(env: EnvVar[], pod: PodFields, warn: (message: string) => void): Map<string, string> {
  const vars = new Map<string, string>();
  for (const e of env) {
    if (e.fieldRef !== undefined) {
      const v = fieldValue(e.fieldRef, pod);
      if (v === undefined) {
        throw new Error(
          `local platform cannot emulate env ${e.name} (fieldRef ${e.fieldRef}); supported: status.podIP, ` +
            `metadata.name, metadata.namespace, metadata.uid, metadata.labels['…'], spec.nodeName`,
        );
      }
      vars.set(e.name, v);
    } else if (e.from && e.value !== undefined) {
      vars.set(e.name, e.value); // a Secret's or ConfigMap's value is taken as it is, never expanded
    } else if (e.value !== undefined) {
      vars.set(
        e.name,
        expandVars(e.value, (n) => vars.get(n)),
      );
    } else if (e.from) {
      throw new Error(
        `env ${e.name} reads ${e.from.description} (${e.from.at.file}:${e.from.at.line}), which is not among the manifests`,
      );
    } else {
      warn(`env ${e.name} has neither a value nor a fieldRef: set to ''`);
      vars.set(e.name, '');
    }
  }
  return vars;
}
