import type { ManifestObject } from '../model.ts';
import { arrayAt, findingAt, isObject, valueAt, type LintFinding, type LintRule, type Path } from './rule.ts';

const ID = 'file-mode';
const MAX = 0o777;

/** Where each kind keeps its pod spec. */
const POD_SPEC: Record<string, Path> = {
  Pod: ['spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Every file mode a pod spec's volumes give (defaultMode, items[].mode, projected sources' items), with its path. */
function modesOf(obj: ManifestObject, podSpec: Path): Array<[Path, unknown]> {
  const out: Array<[Path, unknown]> = [];
  arrayAt(obj.body, [...podSpec, 'volumes']).forEach((_, v) => {
    for (const kind of ['configMap', 'secret', 'downwardAPI', 'projected']) {
      const at: Path = [...podSpec, 'volumes', v, kind];
      if (!isObject(valueAt(obj.body, at))) continue;
      if (valueAt(obj.body, [...at, 'defaultMode']) !== undefined)
        out.push([[...at, 'defaultMode'], valueAt(obj.body, [...at, 'defaultMode'])]);
      const items = (p: Path) =>
        arrayAt(obj.body, [...p, 'items']).forEach((_, i) => {
          const mode = valueAt(obj.body, [...p, 'items', i, 'mode']);
          if (mode !== undefined) out.push([[...p, 'items', i, 'mode'], mode]);
        });
      items(at);
      arrayAt(obj.body, [...at, 'sources']).forEach((_, s) => {
        for (const inner of ['configMap', 'secret', 'downwardAPI']) items([...at, 'sources', s, inner]);
      });
    }
  });
  return out;
}

/**
 * A volume file mode the API server refuses (pkg/apis/core/validation: "must be a number between 0 and 0777
 * (octal), both inclusive"). The usual slip is `mode: 755`, decimal 755, meant as octal: kubectl sends 755 and
 * every pod is refused. A StatefulSet is accepted all the same (its pod template is not validated), so without
 * this rule the first sign is pods that never come.
 */
export const fileMode: LintRule = {
  id: ID,
  summary: 'volume file modes (defaultMode, items[].mode) outside 0..0777: the API server refuses the pods',
  check({ set }) {
    const findings: LintFinding[] = [];
    for (const obj of set.objects) {
      const podSpec = POD_SPEC[obj.kind];
      if (!podSpec) continue;
      for (const [p, mode] of modesOf(obj, podSpec)) {
        if (typeof mode !== 'number' || (Number.isInteger(mode) && mode >= 0 && mode <= MAX)) continue;
        const octal = Number.isInteger(mode) && mode > 0 ? ` (octal 0${mode.toString(8)})` : '';
        findings.push(
          findingAt(
            ID,
            'error',
            obj,
            p,
            `${obj.kind} ${obj.name}: file mode ${mode}${octal} is outside 0..0777; the API server refuses every pod ("must be a number between 0 and 0777 (octal), both inclusive")`,
            'Write a mode in octal with its leading zero (0755, which kubectl reads as 493) or in decimal (493); ' +
              '755 without the zero is decimal 755.',
          ),
        );
      }
    }
    return findings;
  },
};
