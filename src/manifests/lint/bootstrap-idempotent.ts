import { findSelfBootstraps, type SelfBootstrap } from '../self-bootstrap.ts';
import type { LintFinding, LintRule } from './rule.ts';

const ID = 'bootstrap-idempotent';

// redis-cli refuses to create a cluster on a node that knows other nodes or holds keys ("[ERR] Node … is not
// empty. Either the node already knows other nodes (check with CLUSTER NODES) or contains some key in database 0":
// clusterManagerNodeIsEmpty, redis-cli.c) and exits 1. So a `--cluster create` run a second time on the formed
// cluster fails unless the script looks first (cluster_known_nodes, cluster_state, `--cluster check`) or tolerates
// it (`|| true`). A second run is certain: a Job's pod is retried up to its backoffLimit (kubernetes.io, Jobs,
// "Pod backoff failure policy") and re-run when the Job is re-applied under a new name; a postStart hook runs on
// every container start, and "if a PostStart hook fails, it kills the Container" (kubernetes.io, Container
// Lifecycle Hooks); a pod's script runs on every restart.
const CONSEQUENCE: Record<SelfBootstrap['kind'], string> = {
  Job: 'each retry of the Job fails the same way until its backoffLimit, and the Job ends Failed although the cluster is fine',
  Pod: 'the Pod fails on every re-run (a restart under OnFailure or Always) although the cluster is fine',
  postStart:
    'the hook fails on every restart of the container after the first, and the kubelet kills a container whose postStart hook fails: Redis restarts in a loop',
  initContainer: 'the init container fails on every restart of the pod after the first, and the pod never starts again',
  container: 'the script fails on every restart of the pod after the first',
};

export const bootstrapIdempotent: LintRule = {
  id: ID,
  summary:
    'a bootstrap in the manifests (redis-cli --cluster create in a Job, hook or script) survives being run again on the formed cluster',
  check({ set, redis }) {
    return findSelfBootstraps(set, redis)
      .filter((b) => b.how === 'cluster-create' && b.guard === undefined)
      .map((b): LintFinding => ({
        rule: ID,
        severity: b.kind === 'postStart' || b.kind === 'initContainer' ? 'error' : 'warning',
        message: `${b.description} runs \`--cluster create\` with nothing that checks for an already formed cluster`,
        fix:
          `Run again on the formed cluster, redis-cli refuses ("[ERR] Node … is not empty") and exits 1: ${CONSEQUENCE[b.kind]}. ` +
          "Look first and skip when formed, e.g. `[ \"$(redis-cli -h $FIRST cluster info | tr -d '\\r' | sed -n 's/^cluster_known_nodes://p')\" = 1 ] || exit 0`, " +
          'or check with `redis-cli --cluster check` before creating.',
        at: b.at,
      }));
  },
};
