import path from 'node:path/posix';
import { InputError } from '../errors.ts';
import { arrayAt, isObject, stringAt, valueAt, type Path } from './object-path.ts';
import type { Located, ManifestObject, ManifestSet, RedisDirective } from './model.ts';
import { PATH_DIRECTIVES } from './redis-conf.ts';

/*
 * Names and paths in the manifests that decide host paths, refused before any host path is built. First, what
 * the Kubernetes API server refuses in the names and paths that become host paths here (pod, volume and
 * claim directories, ConfigMap files, subPaths, the NFS stand-in's PV directories). The rules follow
 * k8s.io/apimachinery/pkg/util/validation (IsDNS1123Label, IsDNS1123Subdomain, IsConfigMapKey) and
 * pkg/apis/core/validation (validateLocalDescendingPath for items[].path and subPath); pkg/apis/apps/validation
 * validates a StatefulSet name as a DNS-1123 label (its pods' hostnames).
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;

/** Why `name` is not a DNS-1123 label, or undefined when it is one. */
export function dns1123LabelProblem(name: string): string | undefined {
  if (name.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(name))
    return "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit";
  return undefined;
}

/** Why `name` is not a DNS-1123 subdomain, or undefined when it is one. */
export function dns1123SubdomainProblem(name: string): string | undefined {
  if (name.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit";
  }
  return undefined;
}

/** Why `p` is not a relative path that stays below its base (validateLocalDescendingPath), or undefined. */
export function descendingPathProblem(p: string): string | undefined {
  if (path.isAbsolute(p)) return 'must be a relative path';
  if (p.split('/').includes('..')) return "must not contain '..'";
  return undefined;
}

/** Why `key` is not a valid ConfigMap key (it names a file when a volume has no items), or undefined. */
export function configMapKeyProblem(key: string): string | undefined {
  if (key.length > 253) return 'must be no more than 253 characters';
  if (!CONFIGMAP_KEY.test(key)) return "must consist of letters, digits, '-', '_' or '.'";
  if (key === '.' || key === '..') return `must not be '${key}'`;
  if (key.startsWith('..')) return "must not start with '..'";
  return undefined;
}

/** Throws the refusal for `problem` (when there is one) at `at`, naming the field and the value. */
export function refuse(at: Located, field: string, value: string, problem: string | undefined): void {
  if (problem === undefined) return;
  throw new InputError(
    `${at.file}:${at.line}: ${field} ${JSON.stringify(value)} ${problem} (the Kubernetes API server refuses it)`,
  );
}

/**
 * Refuses, with file:line, what the API server would refuse in a StatefulSet's names and paths: its name, its
 * pod volumes and claim templates, the container's subPaths, and the items and keys of the ConfigMaps its
 * volumes project. These decide host paths on the local platform, so they are checked before any is built.
 */
export function validateStatefulSetPaths(set: ManifestSet, sts: ManifestObject, containerIndex: number): void {
  const podSpec: Path = ['spec', 'template', 'spec'];
  refuse(sts.locate(['metadata', 'name']), 'StatefulSet name', sts.name, dns1123LabelProblem(sts.name));
  arrayAt(sts.body, ['spec', 'volumeClaimTemplates']).forEach((t, i) => {
    const name = stringAt(t, ['metadata', 'name']);
    if (name !== undefined)
      refuse(
        sts.locate(['spec', 'volumeClaimTemplates', i, 'metadata', 'name']),
        'volumeClaimTemplate name',
        name,
        dns1123LabelProblem(name),
      );
  });
  arrayAt(sts.body, [...podSpec, 'volumes']).forEach((v, i) => {
    const at = (p: Path) => sts.locate([...podSpec, 'volumes', i, ...p]);
    const name = stringAt(v, ['name']);
    if (name !== undefined) refuse(at(['name']), 'volume name', name, dns1123LabelProblem(name));
    const items = arrayAt(v, ['configMap', 'items']);
    items.forEach((item, j) => {
      const p = stringAt(item, ['path']);
      if (p !== undefined)
        refuse(at(['configMap', 'items', j, 'path']), 'configMap items path', p, descendingPathProblem(p));
    });
    // Without items every key becomes a file name.
    const cmName = stringAt(v, ['configMap', 'name']);
    const source =
      items.length === 0 &&
      cmName !== undefined &&
      set.objects.find((o) => o.kind === 'ConfigMap' && o.name === cmName);
    const data = source ? valueAt(source.body, ['data']) : undefined;
    if (source && isObject(data)) {
      for (const key of Object.keys(data))
        refuse(source.locate(['data', key]), 'ConfigMap key', key, configMapKeyProblem(key));
    }
  });
  const container: Path = [...podSpec, 'containers', containerIndex];
  arrayAt(sts.body, [...container, 'volumeMounts']).forEach((m, i) => {
    const subPath = stringAt(m, ['subPath']);
    if (subPath !== undefined)
      refuse(
        sts.locate([...container, 'volumeMounts', i, 'subPath']),
        'volumeMount subPath',
        subPath,
        descendingPathProblem(subPath),
      );
  });
}

/**
 * Refuses a redis.conf path (file line or argument) whose `..` climbs above the container's root from where
 * redis-server resolves it (`dir` from the directory before it, everything else from the final `dir`). Inside a
 * container the climb would stop at `/`; on the host it would leave the pod's directory, so it is refused as an
 * escape rather than quietly clamped.
 */
export function validateConfPaths(directives: readonly RedisDirective[], workingDir: string, dataDir: string): void {
  let cwd = workingDir;
  for (const d of directives) {
    const arg = d.args[0];
    if (!PATH_DIRECTIVES.has(d.name) || arg === undefined) continue;
    const from = d.name === 'dir' ? cwd : dataDir;
    if (climbsAboveRoot(from, arg)) {
      const at = d.from.at
        ? `${d.from.at.file}:${d.from.at.line}`
        : d.from.kind === 'file'
          ? `${d.from.path}:${d.from.line}`
          : `redis-server argument ${d.from.index}`;
      throw new InputError(
        `${at}: ${d.name} ${JSON.stringify(arg)} climbs above the container's root from ${from}; ` +
          'refused as a path escape (write a path inside the container, e.g. an absolute one)',
      );
    }
    if (d.name === 'dir') cwd = path.resolve(cwd, arg);
  }
}

/** Whether resolving `p` from the absolute directory `cwd` steps above `/` at any point. */
export function climbsAboveRoot(cwd: string, p: string): boolean {
  let depth = path.isAbsolute(p) ? 0 : cwd.split('/').filter(Boolean).length;
  for (const part of p.split('/')) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}
