import { placed } from '../../errors.ts';
import type { ManifestObject } from '../../manifests/model.ts';
import { parseFieldPath } from './field-path.ts';

/**
 * The API server does not validate a StatefulSet's pod template (pkg/apis/apps/validation: ValidatePodTemplateSpec
 * is left out for StatefulSets); it refuses each pod the controller makes from it, which shows as a FailedCreate
 * event: `... failed error: Pod "redis-app-0" is invalid: spec.volumes[0].configMap.items[1].mode: Invalid
 * value: 755: ...` (several errors in [a, b]). `err` (whose message carries that event) is marked as pointing at
 * the template's line of the first refused field; the template's volumes come first in the pod, so indexes match.
 */
export function placeInTemplate<E extends Error>(err: E, statefulSet: ManifestObject | undefined): E {
  const refused = /Pod "[^"]+" is invalid: \[?([^:\s]+): /.exec(err.message);
  const field = refused ? parseFieldPath(refused[1]!) : undefined;
  if (!field || !statefulSet || field[0] !== 'spec') return err;
  return placed(err, statefulSet.locate(['spec', 'template', ...field]));
}
