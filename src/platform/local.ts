import type { HostPort, Platform, PlatformContext, Target } from './platform.ts';
import { noUndoJournal } from './undo.ts';
import { collectEvidence } from './local/evidence.ts';
import { adopt, deploy } from './local/deploy.ts';
import { localFreeze } from './local/faults/freeze.ts';
import { localNodeLoss } from './local/faults/node-loss.ts';
import { localPartition } from './local/faults/partition.ts';
import { localPodDelete } from './local/faults/pod-delete.ts';
import { localPodReplacement } from './local/faults/replace-pods.ts';
import { localRollingRestart } from './local/faults/rolling-restart.ts';
import { localRolloutFault } from './local/faults/rollout.ts';
import { nodePods } from './local/node-pods.ts';
import { hostPath, readPersistentFile } from './local/pod-files.ts';
import { untilGone } from './local/pod-gone.ts';
import { updateHosts } from './local/pod-hosts.ts';
import { execInPod } from './local/pod-sandbox.ts';
import { podInfo } from './local/pod-table.ts';
import { provision } from './local/provision.ts';
import { readinessAttempt } from './local/readiness.ts';
import { waitForReplacement } from './local/replacement.ts';
import { livePids, localState, requireDeployed, type LocalPlatformOptions } from './local/state.ts';
import { teardown } from './local/teardown.ts';

export type { LocalPlatformOptions } from './local/state.ts';

/** The local platform, plus what tests and evidence need beyond the seam. */
export interface LocalPlatform extends Platform {
  /** PIDs of the redis-server processes this platform started that have not exited (also after teardown). */
  processIds(): number[];
  /**
   * Runs a command in a pod's container view (sandbox mode): its root, volumes, hosts file, hostname and env, in
   * a sandbox of its own beside the container's (as `kubectl exec`, minus the shared PID namespace).
   */
  exec(podName: string, argv: string[], timeoutMs?: number): Promise<{ code: number | null; output: string }>;
  /** The mode the pods run in (decided by provision()). */
  localMode(): 'sandbox' | 'direct' | undefined;
  /** Host path of a pod's in-container path (its current incarnation's filesystem). */
  hostPath(podName: string, containerPath: string): string;
  /** What the report must say about this run's emulation (e.g. what direct mode did not run). */
  notes: string[];
}

/**
 * Pods as redis-server processes on their own loopback addresses (docs/design.md, "local"). Config, args, env and
 * mounts come from the manifests; PVC mounts live in per-claim directories that survive restarts, everything
 * else is wiped; every (re)start gets a new address and UID. Children die with this process: exit and signal
 * handlers kill them by PID, setpriv's parent-death signal covers a hard kill, and a pid registry in workDir
 * lets the next run on the same workDir clean up when neither was possible.
 * This is the wiring: what each part does is in src/platform/local/ (the faults in local/faults/), all of them
 * sharing the platform's state (local/state.ts).
 */
export function createLocalPlatform(ctx: PlatformContext, opts: LocalPlatformOptions = {}): LocalPlatform {
  const s = localState(ctx, opts);
  const deployed = () => requireDeployed(s);
  const pods = () => s.pods.all();
  const pod = (name: string) => s.pods.named(name);
  const replacement = (name: string, oldUid: string, timeoutMs: number) =>
    waitForReplacement(s, name, oldUid, timeoutMs);
  const podDelete = localPodDelete({
    deployed,
    pod,
    pods,
    untilGone: (p) => untilGone(p, deployed().port),
    addressesChanged: () => updateHosts(s),
  });
  const replace = localPodReplacement({
    deployed,
    pod,
    podDelete,
    waitForReplacement: replacement,
    readinessAttempt: (p) => readinessAttempt(s, p),
    restartDelayMs: s.restartDelayMs,
    log: ctx.log,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const partition = localPartition({
    podIp: (name) => pod(name).ip,
    claimAddress: () => {
      if (!s.allocator) throw new Error('local platform: nothing deployed yet');
      return s.allocator.next();
    },
    undo: ctx.undo ?? noUndoJournal,
  });

  return {
    kind: 'local',
    provision: () => provision(s),
    collectEvidence: (sink) => collectEvidence(s, sink),
    deploy: (manifests, deployment) => deploy(s, manifests, deployment),
    listPods: async () =>
      pods()
        .sort((a, b) => a.ordinal - b.ordinal)
        .map(podInfo),
    reach: async (announced: HostPort): Promise<Target> => (ctx.auth ? { ...announced, auth: ctx.auth } : announced),
    waitForReplacement: replacement,
    faults: {
      podDelete,
      freeze: localFreeze((name) => pod(name).proc),
      rollingRestart: localRollingRestart({ deployed, pods, replace }),
      partition,
      nodeLoss: localNodeLoss(nodePods(s), ctx.log),
      rollout: localRolloutFault({
        deployed: () => ({ set: s.applied!, redis: deployed() }),
        update: (set, redis) => adopt(s, set, redis),
        revisions: () => Object.fromEntries(pods().map((p) => [p.name, p.revision ?? ''])),
        replace,
      }),
    },
    readPersistentFile: (podName, containerPath) => readPersistentFile(s, podName, containerPath),
    manifestJobs: async () => s.jobs?.statuses() ?? s.notRun,
    teardown: () => teardown(s, () => partition.healAll()),
    processIds: () => livePids(s),
    localMode: () => s.mode,
    notes: s.notes,
    exec: (podName, argv, timeoutMs) => execInPod(s, pod(podName), argv, timeoutMs),
    hostPath: (podName, containerPath) => hostPath(s, podName, containerPath),
  };
}
