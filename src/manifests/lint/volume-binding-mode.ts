import { findingAt, objectsOfKind, stringAt, type LintRule } from './rule.ts';
import { hasNodeAffinity, isStaticOnly, nodeBoundSource, pvClass } from '../storage-class.ts';

const ID = 'volume-binding-mode';

export const volumeBindingMode: LintRule = {
  id: ID,
  summary: 'static-volume StorageClass binds at first consumer (WaitForFirstConsumer), not Immediate',
  check({ set }) {
    return objectsOfKind(set, 'StorageClass').flatMap((sc) => {
      const mode = stringAt(sc.body, ['volumeBindingMode']) ?? 'Immediate'; // the API's default
      if (mode !== 'Immediate' || !isStaticOnly(sc)) return [];
      const pvs = objectsOfKind(set, 'PersistentVolume').filter((pv) => pvClass(pv) === sc.name);
      // Volumes tied to a node make Immediate binding a scheduling trap; network volumes only lose the benefit.
      const nodeBound = pvs.some((pv) => nodeBoundSource(pv) !== undefined || hasNodeAffinity(pv));
      return [
        findingAt(
          ID,
          nodeBound ? 'warning' : 'info',
          sc,
          ['volumeBindingMode'],
          `StorageClass ${sc.name} serves pre-created volumes with volumeBindingMode Immediate`,
          'Immediate binds each claim before its pod is scheduled, possibly to a volume on a node the pod cannot ' +
            'run on (the Redis pod then stays Pending); static volumes belong in a class with ' +
            'volumeBindingMode: WaitForFirstConsumer.',
        ),
      ];
    });
  },
};
