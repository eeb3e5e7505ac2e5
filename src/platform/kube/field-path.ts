import type { Path } from '../../manifests/object-path.ts';

/**
 * A field path as the API server names it in a Status cause (k8s.io/apimachinery field.Path:
 * `spec.ports[0].nodePort`, `data[redis.conf]`, `spec.template.spec.containers[0].resources.requests[cpu]`; a
 * server-side apply conflict's `.spec.replicas`) as the segments of a manifest path. undefined for a path in
 * another form (a list item by key, `[name="redis"]`), which maps to no one place here.
 */
export function parseFieldPath(field: string): Path | undefined {
  const out: Array<string | number> = [];
  const re = /\.?([^.[\]]+)|\[([^\]]*)\]/gy;
  const text = field.startsWith('.') ? field.slice(1) : field;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text)) !== null) {
    consumed = re.lastIndex;
    if (m[1] !== undefined) out.push(m[1]);
    else if (/^\d+$/.test(m[2]!)) out.push(Number(m[2]));
    else if (/^[^=]+$/.test(m[2]!)) out.push(m[2]!);
    else return undefined;
  }
  return consumed === text.length && out.length > 0 ? out : undefined;
}
