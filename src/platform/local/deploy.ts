import fs from 'node:fs';
import { CancelledError } from '../../errors.ts';
import type { ManifestSet, RedisDeployment } from '../../manifests/model.ts';
import { valueAt } from '../../manifests/object-path.ts';
import type { Deployed } from '../platform.ts';
import { AddressAllocator } from './addresses.ts';
import { directModeRediscoveryGap } from './direct-gaps.ts';
import { isJobOrPod, startLocalJobs } from './jobs.ts';
import { declarePod } from './pod-declare.ts';
import { governingService, podHostsText } from './pod-dns.ts';
import { dnsPods } from './pod-hosts.ts';
import { refuseTooManyPods } from './pod-limits.ts';
import { spawnSandbox } from './pod-sandbox.ts';
import { refuseHostAccess } from './pod-security.ts';
import { runStart } from './pod-start.ts';
import type { Pod } from './pod-table.ts';
import { provision } from './provision.ts';
import { findServerBinary } from './redis-binary.ts';
import { unenforcedSizeLimits } from './size-limits.ts';
import { track, type LocalState } from './state.ts';

const DEFAULT_ADDRESS_BASE = '127.0.50';

/**
 * The StatefulSet's pods started as its controller starts them (Parallel: all at once; OrderedReady: one after
 * the other, stopping at the first failure), then the manifests' Jobs and bare Pods beside them (sandbox mode).
 */
export async function deploy(s: LocalState, manifests: ManifestSet, deployment: RedisDeployment): Promise<Deployed> {
  const { ctx } = s;
  if (s.redis)
    throw new Error(`local platform: ${s.redis.name} is already deployed; teardown() before deploying again`);
  await provision(s);
  s.notes.length = 0;
  if (s.confinement?.skipped) s.notes.push(s.confinement.skipped);
  await adopt(s, manifests, deployment);
  s.allocator = new AddressAllocator(s.opts.addressBase ?? DEFAULT_ADDRESS_BASE, () => [
    deployment.port,
    deployment.busPort,
  ]);
  for (let i = 0; i < deployment.replicas; i++) s.pods.add(declarePod(s, deployment, i));
  const all = s.pods.all();
  const failures: string[] = [];
  const start = (pod: Pod): Promise<void> => {
    pod.lifecycle.fire({ type: 'start', what: 'pod' });
    return runStart(s, pod, (err) => failures.push(`${pod.name}: ${err.message}`));
  };
  if (valueAt(deployment.statefulSet.body, ['spec', 'podManagementPolicy']) === 'Parallel')
    await Promise.all(all.map(start));
  // OrderedReady: stop at the first failure, or at the run's cancellation
  else for (const pod of all) if (!failures.length && !ctx.signal?.aborted) await start(pod);
  if (ctx.signal?.aborted) throw new CancelledError(`the pods of ${deployment.name} to start`);
  if (failures.length) throw new Error(`local platform: deploying ${deployment.name} failed:\n${failures.join('\n')}`);
  // As on Kubernetes, the manifests' Jobs and Pods start alongside the StatefulSet's pods (local/jobs.ts).
  const others = manifests.objects.filter(isJobOrPod);
  if (others.length && s.mode === 'sandbox')
    s.jobs = startLocalJobs(others, {
      set: manifests,
      workDir: s.workDir,
      inside: s.inside,
      spawn: (cmd, logFile) => spawnSandbox(s, cmd, { logFile }),
      ...(s.setpriv ? { setpriv: fs.realpathSync(s.setpriv) } : {}),
      log: ctx.log,
      hostsText: (name) => (s.service ? podHostsText({ name, ip: '', ready: false }, dnsPods(s), s.service) : ''),
      track: (p) => track(s, p),
    });
  else if (others.length) {
    s.notRun = others.map((o) => ({
      name: `${o.kind} ${o.name}`,
      state: 'not-run' as const,
      detail: 'direct mode runs no Job or Pod of the manifests (install bubblewrap)',
      lastLog: '',
    }));
    s.warnOnce(
      `direct mode does not run ${others.map((o) => `${o.kind} ${o.name}`).join(', ')} (install bubblewrap to run them)`,
    );
  }
  return { nfsRewrites: [] }; // no NFS stand-in: PersistentVolumes are directories here
}

/** Makes `deployment` what pods start from (deploy, and a rollout's apply over a running deployment). */
export async function adopt(s: LocalState, manifests: ManifestSet, deployment: RedisDeployment): Promise<void> {
  refuseHostAccess(deployment.statefulSet);
  refuseTooManyPods(deployment);
  if (s.mode === 'direct') {
    refuseWhatNeedsSandbox(deployment, s.warnOnce);
    const gap = directModeRediscoveryGap(deployment);
    if (gap) {
      s.warnOnce(gap);
      s.notes.push(gap);
    }
  } else {
    s.service = governingService(manifests, deployment);
    if (s.service.note) s.warnOnce(s.service.note);
  }
  for (const note of unenforcedSizeLimits(deployment)) {
    s.warnOnce(note);
    s.notes.push(note);
  }
  // A Valkey StatefulSet runs valkey-server, a Redis one redis-server (manifests/server.ts decides which).
  s.binary = (await findServerBinary(deployment.server, s.opts.serverBinary)).path;
  s.redis = deployment;
  s.applied = manifests;
}

/**
 * Direct mode runs redis-server itself with a config written from what the manifests show: what only the running
 * container knows (a config an init container renders, values a script computes) needs the sandbox.
 */
function refuseWhatNeedsSandbox(r: RedisDeployment, warn: (m: string) => void): void {
  const needs = r.launch.config !== 'static' || r.launch.gaps.length > 0 || r.launch.redisArgv.length === 0;
  if (needs) {
    const why =
      r.launch.gaps.map((g) => `${g.at.file}:${g.at.line}: ${g.message}`).join('; ') ||
      "redis-server's invocation is not in the manifests";
    throw new Error(
      `local platform (direct mode) cannot run StatefulSet ${r.name}: ${why}. Install bubblewrap (apt-get install -y bubblewrap) ` +
        'so the local platform runs the pods as sandboxes with their own scripts and init containers, or use platform kind',
    );
  }
  if (r.launch.wrapper)
    warn(
      `direct mode: ${r.launch.wrapper.description} is not run; redis-server starts with the arguments it would exec (install bubblewrap to run the script)`,
    );
  if (r.initContainers.length)
    warn(
      `direct mode: init containers ${r.initContainers.map((c) => c.name).join(', ')} are not run (install bubblewrap to run them)`,
    );
}
