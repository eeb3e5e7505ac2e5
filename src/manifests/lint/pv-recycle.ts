import { findingAt, objectsOfKind, stringAt, type LintRule } from './rule.ts';

const ID = 'pv-recycle';

export const pvRecycle: LintRule = {
  id: ID,
  summary: 'PersistentVolume reclaim policy Recycle (deprecated; wipes nodes.conf)',
  check({ set }) {
    return objectsOfKind(set, 'PersistentVolume')
      .filter((pv) => stringAt(pv.body, ['spec', 'persistentVolumeReclaimPolicy']) === 'Recycle')
      .map((pv) =>
        findingAt(
          ID,
          'warning',
          pv,
          ['spec', 'persistentVolumeReclaimPolicy'],
          `PersistentVolume ${pv.name}: reclaim policy Recycle is deprecated`,
          'Recycle runs `rm -rf` on the volume once its claim is released, so a re-created claim finds no ' +
            'nodes.conf and the Redis node comes back with a new NodeID and no data; use Retain (and delete data ' +
            'deliberately).',
        ),
      );
  },
};
