import { messageOf } from '../../errors.ts';
import type { RedisDeployment } from '../../manifests/model.ts';
import { podLayout } from './pod-fs.ts';
import { updateHosts } from './pod-hosts.ts';
import { PodLifecycle, type PodEvent, type PodState } from './pod-lifecycle.ts';
import { logTail } from './pod-logs.ts';
import { runStart } from './pod-start.ts';
import type { Pod } from './pod-table.ts';
import { describeExit } from './process.ts';
import type { LocalState } from './state.ts';

/**
 * Pod `ordinal` of the StatefulSet as deploy() declares it, not started yet: its lifecycle machine starts it
 * whenever it is (re)created, and its changes of state reach onPodTransition.
 */
export function declarePod(s: LocalState, deployment: RedisDeployment, ordinal: number): Pod {
  const name = `${deployment.name}-${ordinal}`;
  const pod: Pod = {
    name,
    ordinal,
    layout: podLayout(s.workDir, deployment, name, ordinal),
    uid: '',
    ip: '',
    node: '',
    incarnation: 0,
    lifecycle: new PodLifecycle(name, {
      recreateDelayMs: s.restartDelayMs,
      onStart: () =>
        void runStart(s, pod, (err) =>
          s.ctx.log.warn(`local platform: pod ${pod.name} did not come back: ${err.message}`),
        ).catch((err: unknown) => s.ctx.log.warn(messageOf(err))),
      onTransition: (from, to, event) => onPodTransition(s, pod, from, to, event),
    }),
  };
  return pod;
}

/**
 * What follows a pod's change of state, in one place: the hook point for anything that tracks pods (the
 * Service's DNS records, logs). A pod's own address changes with its start and deletion.
 */
function onPodTransition(s: LocalState, pod: Pod, from: PodState, to: PodState, event: PodEvent): void {
  const { ctx } = s;
  // Readiness changed: the Service's DNS lists ready pods (local/pod-dns.ts). Teardown rewrites nothing.
  if ((from.phase === 'ready') !== (to.phase === 'ready') && to.phase !== 'exited') updateHosts(s);
  if (to.phase === 'back-off' && event.type === 'process-exited') {
    // A start that fails reports itself; a running server that exits is news.
    if (from.phase === 'ready')
      ctx.log.warn(
        `local platform: pod ${pod.name} (pid ${pod.proc?.pid ?? 'unknown'}) ${describeExit(event.exit)} unexpectedly\n${logTail(s.workDir, s.redis, pod)}`,
      );
    ctx.log.info(
      `local platform: restarting pod ${pod.name}'s container in ${to.delayMs / 1000} s (restart ${pod.lifecycle.restarts})`,
    );
  }
}
