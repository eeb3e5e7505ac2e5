import { InputError } from '../../errors.ts';
import type { ManifestObject } from '../../manifests/model.ts';
import { isObject, objectAt, objectsAt, scalarText, stringsAt, valueAt } from '../../manifests/object-path.ts';
import { refuseHostAccess } from './pod-security.ts';

export type RestartPolicy = 'Never' | 'OnFailure' | 'Always';

/** Refuses what cannot run as written, naming the file and line; returns the restart policy. */
export function validateJob(obj: ManifestObject): RestartPolicy {
  const specPath = obj.kind === 'Job' ? ['spec', 'template', 'spec'] : ['spec'];
  const where = (p: Array<string | number>) => {
    const l = obj.locate(p);
    return `${l.file}:${l.line}`;
  };
  const written = scalarText(valueAt(obj.body, [...specPath, 'restartPolicy']));
  const policy = written || (obj.kind === 'Job' ? '' : 'Always');
  if (policy !== 'Never' && policy !== 'OnFailure' && (obj.kind === 'Job' || policy !== 'Always'))
    throw new InputError(
      `${where([...specPath, 'restartPolicy'])}: ${obj.kind} ${obj.name} needs restartPolicy Never or OnFailure${obj.kind === 'Job' ? '' : ' or Always'} (the API server refuses ${written || 'none'}${obj.kind === 'Job' ? ' for a Job' : ''})`,
    );
  // privileged, hostNetwork/PID/IPC and host-level capabilities are refused as for the StatefulSet's pods.
  refuseHostAccess(asTemplate(obj));
  const backoffLimit = valueAt(obj.body, ['spec', 'backoffLimit']);
  if (
    obj.kind === 'Job' &&
    backoffLimit !== undefined &&
    !(Number.isInteger(backoffLimit) && Number(backoffLimit) >= 0)
  )
    throw new InputError(
      `${where(['spec', 'backoffLimit'])}: Job ${obj.name} has backoffLimit ${JSON.stringify(backoffLimit)}; expected a whole number of retries, 0 or more`,
    );
  const completions = valueAt(obj.body, ['spec', 'completions']);
  if (obj.kind === 'Job' && completions !== undefined && completions !== 1)
    throw new InputError(
      `${where(['spec', 'completions'])}: Job ${obj.name} has completions ${scalarText(completions)}; the local platform runs Jobs of one completion (a cluster is bootstrapped once); use platform kind`,
    );
  for (const v of objectsAt(obj.body, [...specPath, 'volumes']))
    if (!isObject(v.configMap) && !isObject(v.secret) && !isObject(v.emptyDir))
      throw new InputError(
        `${where([...specPath, 'volumes'])}: ${obj.kind} ${obj.name}'s volume ${scalarText(v.name)} is not a ConfigMap, Secret or emptyDir, which is all the local platform gives a Job's pod; use platform kind`,
      );
  for (const c of [
    ...objectsAt(obj.body, [...specPath, 'initContainers']),
    ...objectsAt(obj.body, [...specPath, 'containers']),
  ])
    if (stringsAt(c, ['command']).length + stringsAt(c, ['args']).length === 0)
      throw new InputError(
        `${obj.kind} ${obj.name}: container ${scalarText(c.name)} has no command: its image's entrypoint only exists in the image; use platform kind`,
      );
  return policy;
}

/** The object with its pod spec at spec.template.spec, where pod-security.ts reads it: a Job as it is, a bare
 * Pod's spec moved there (positions still point into the Pod). */
export function asTemplate(obj: ManifestObject): ManifestObject {
  if (obj.kind === 'Job') return obj;
  return {
    ...obj,
    body: { spec: { template: { spec: objectAt(obj.body, ['spec']) } } },
    locate: (p) => obj.locate(p[0] === 'spec' && p[1] === 'template' && p[2] === 'spec' ? ['spec', ...p.slice(3)] : p),
  };
}
