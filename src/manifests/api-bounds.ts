import { InputError } from '../errors.ts';
import type { JsonValue, ManifestObject, ManifestSet } from './model.ts';
import { objectAt, objectsAt, type Path } from './object-path.ts';

/**
 * The API server's own bounds on the numbers and names in the manifests that decide a size or a time here: a
 * value it would refuse is refused with its file:line instead of becoming a 1 ms timer, a negative wait or a
 * huge file (k8s.io/kubernetes pkg/apis/core/validation/validation.go):
 * - terminationGracePeriodSeconds and every probe's initialDelaySeconds, timeoutSeconds, periodSeconds,
 *   successThreshold and failureThreshold: ValidateNonnegativeField ("must be greater than or equal to 0"); the
 *   API server's defaulting turns a 0 period, timeout or threshold into its default, as probes.ts does;
 * - env names: IsEnvVarName, relaxed to "printable ASCII characters other than '='" (RelaxedEnvironmentVariable-
 *   Validation); a name with '=' would split differently in the process's environment;
 * - a ConfigMap's or Secret's data: ValidateConfigMap / ValidateSecret, at most core.MaxSecretSize, 1 MiB, in all.
 */

/** core.MaxSecretSize: the most a ConfigMap's or Secret's data (all keys together) may hold. */
export const MAX_CONFIG_DATA_BYTES = 1024 * 1024;

const PROBE_FIELDS = ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'];
const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'];
/** Printable ASCII but '=' (0x3d): the relaxed env var name rule. */
const ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;

function refuse(obj: ManifestObject, path: Path, what: string): never {
  const l = obj.locate(path);
  throw new InputError(`${l.file}:${l.line}: ${what}`);
}

function nonNegativeInteger(obj: ManifestObject, path: Path, v: JsonValue | undefined): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    refuse(
      obj,
      path,
      `${String(path.at(-1))} ${JSON.stringify(v)} is not valid; the API server takes a whole number greater than or equal to 0`,
    );
}

/** Refuses the first value of `set` the API server would refuse among those this tool waits or sizes by. */
export function validateApiBounds(set: ManifestSet): void {
  for (const obj of set.objects) {
    if (obj.kind === 'ConfigMap' || obj.kind === 'Secret') configDataSize(obj);
    const podSpec: Path | undefined =
      obj.kind === 'Pod' ? ['spec'] : isWorkload(obj.kind) ? ['spec', 'template', 'spec'] : undefined;
    if (!podSpec) continue;
    const spec = objectAt(obj.body, podSpec);
    nonNegativeInteger(obj, [...podSpec, 'terminationGracePeriodSeconds'], spec.terminationGracePeriodSeconds);
    for (const list of ['initContainers', 'containers']) {
      objectsAt(spec, [list]).forEach((c, i) => {
        const cPath: Path = [...podSpec, list, i];
        for (const probe of PROBES)
          for (const f of PROBE_FIELDS) nonNegativeInteger(obj, [...cPath, probe, f], objectAt(c, [probe])[f]);
        objectsAt(c, ['env']).forEach((e, j) => {
          const name = e.name;
          if (typeof name !== 'string' || !ENV_NAME.test(name))
            refuse(
              obj,
              [...cPath, 'env', j, 'name'],
              `env name ${JSON.stringify(name ?? null)} is not valid; the API server takes printable ASCII characters other than '=' (and at least one)`,
            );
        });
      });
    }
  }
}

function isWorkload(kind: string): boolean {
  return ['StatefulSet', 'Deployment', 'DaemonSet', 'ReplicaSet', 'Job'].includes(kind);
}

/** Refuses a ConfigMap or Secret whose data (data, binaryData, stringData values together) is over 1 MiB. */
function configDataSize(obj: ManifestObject): void {
  let total = 0;
  for (const field of ['data', 'binaryData', 'stringData']) {
    for (const v of Object.values(objectAt(obj.body, [field]))) {
      if (typeof v !== 'string') continue;
      // binaryData and a Secret's data are base64 on the wire; the limit is on the decoded bytes.
      total +=
        field === 'binaryData' || (obj.kind === 'Secret' && field === 'data')
          ? Buffer.from(v, 'base64').length
          : Buffer.byteLength(v, 'utf8');
    }
  }
  if (total > MAX_CONFIG_DATA_BYTES)
    refuse(
      obj,
      ['data'],
      `${obj.kind} ${obj.name} holds ${total} bytes of data; the API server refuses more than ${MAX_CONFIG_DATA_BYTES} (1 MiB, core.MaxSecretSize)`,
    );
}
