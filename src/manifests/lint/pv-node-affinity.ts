import { type LintFinding, findingAt, objectsOfKind, type LintRule } from './rule.ts';
import { hasNodeAffinity, nodeBoundSource } from '../storage-class.ts';

const ID = 'pv-node-affinity';

export const pvNodeAffinity: LintRule = {
  id: ID,
  summary: 'hostPath/local PersistentVolumes pinned to their node (nodeAffinity)',
  check({ set, nodes }) {
    const findings: LintFinding[] = [];
    for (const pv of objectsOfKind(set, 'PersistentVolume')) {
      const source = nodeBoundSource(pv);
      if (!source || hasNodeAffinity(pv)) continue;
      // The API server rejects a local PV without nodeAffinity; hostPath is accepted and goes wrong later.
      // On one node (or an unknown count: nothing is assumed) a hostPath volume is where the pod is.
      if (source === 'hostPath' && (nodes === undefined || nodes <= 1)) continue;
      findings.push(
        findingAt(
          ID,
          'error',
          pv,
          ['spec', source],
          source === 'local'
            ? `PersistentVolume ${pv.name}: a local volume needs spec.nodeAffinity`
            : `PersistentVolume ${pv.name}: hostPath volume without spec.nodeAffinity on a ${nodes ?? '?'}-node cluster`,
          "The data lies on one node's disk; a Redis pod recreated on another node finds an empty directory, loses " +
            'its nodes.conf and rejoins with a new NodeID. Add spec.nodeAffinity.required naming the node that holds ' +
            'the directory (kubernetes.io/hostname), or use a network volume.',
        ),
      );
    }
    return findings;
  },
};
