import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import { deploymentChanges, nodeIdLossCause, type DeploymentChanges } from '../manifests/rollout-changes.ts';
import { ApplyRefusedError, isUnsupported, type AppliedUpdate, type RolloutFault } from '../platform/faults.ts';
import type { PodInfo } from '../platform/platform.ts';
import { serverVersionOf } from '../redis/health.ts';
import { CancelledError, UnsupportedError, messageOf } from '../errors.ts';
import { sleep, waitFor } from '../util/wait.ts';
import type { Check, PodRestart, RolloutReport, ScenarioResult } from './model.ts';
import { driveSteps, type ScenarioEnv, type Step, type StepContext } from './driver.ts';
import { clusterHealthy } from './failover-checks.ts';
import {
  coverageCheck,
  failoversSafeCheck,
  podRestarts,
  POLL_MS,
  rollingCheckSteps,
  rollingSetupSteps,
  snapshotRolling,
  nodeIdsCheck,
  rollWatched,
  rollingBody,
  writeChecks,
  type RollingFacts,
} from './rolling-restart.ts';
import { scenarioResult } from './result.ts';
import type { ScenarioSettings } from './settings.ts';

interface Manifests {
  set: ManifestSet;
  redis: RedisDeployment;
}

interface RolloutFacts extends RollingFacts {
  head: Manifests;
  changes: DeploymentChanges;
  fault?: RolloutFault;
  update?: AppliedUpdate;
  refused?: ApplyRefusedError;
  deletedByScenario: boolean;
  revisionsBefore?: Record<string, string>;
  revisionsAfter?: Record<string, string>;
  versionsBefore: Record<string, string>;
  versionsAfter: Record<string, string>;
  /** Date.now() times of the mixed-version window, and every version seen in it. */
  mixed?: { from: number; to?: number; versions: Set<string> };
}

/** Each ready pod's server ("Redis 7.0.15"), by pod name; pods that do not answer are left out. */
async function versionsOf(ctx: StepContext, pods: PodInfo[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    pods
      .filter((p) => p.ready && p.ip)
      .map(async (p) => {
        const v = await serverVersionOf(ctx.reach, [ctx.addressOf(p)]).catch(() => undefined);
        if (v) out[p.name] = `${v.name} ${v.version}`;
      }),
  );
  return out;
}

/** Samples the server versions while the pods roll: the window in which more than one answered at once. */
async function watchVersions(f: RolloutFacts, ctx: StepContext, done: () => boolean): Promise<void> {
  while (!done()) {
    const pods = await ctx.platform.listPods().catch(() => []);
    const seen = new Set(Object.values(await versionsOf(ctx, pods)));
    const now = Date.now();
    if (seen.size > 1) {
      if (!f.mixed) {
        f.mixed = { from: now, versions: new Set() };
        ctx.timeline.mark('mixed-versions-start', now, [...seen].join(' + '));
      }
      for (const v of seen) f.mixed.versions.add(v);
      f.mixed.to = undefined;
    } else if (f.mixed && f.mixed.to === undefined && seen.size === 1) {
      f.mixed.to = now;
      ctx.timeline.mark('mixed-versions-end', now, [...seen][0]);
    }
    await sleep(POLL_MS * 2, ctx.signal);
  }
}

/** OnDelete: the scenario deletes the pods as the controller would replace them, highest ordinal first, each
 * back and Ready before the next (the controller recreates each deleted pod from the update revision). */
async function deleteInControllerOrder(f: RolloutFacts, ctx: StepContext, timeoutMs: number): Promise<void> {
  for (const pod of [...f.podsBefore].sort((a, b) => b.ordinal - a.ordinal)) {
    ctx.log.info(`rollout: updateStrategy OnDelete: deleting pod ${pod.name} so it comes back on the new revision`);
    await ctx.platform.faults.podDelete.delete(pod.name, { hold: false, mode: 'graceful' });
    await ctx.platform.waitForReplacement(pod.name, pod.uid, timeoutMs);
    await waitFor(
      `pod ${pod.name} to be Ready again after its deletion (OnDelete)`,
      async () => {
        const now = (await ctx.platform.listPods()).find((p) => p.name === pod.name);
        return now?.ready ? { done: true, value: undefined } : { done: false, seen: now ? 'not ready' : 'absent' };
      },
      { timeoutMs, intervalMs: POLL_MS, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
  }
}

const steps: ReadonlyArray<Step<RolloutFacts>> = [
  {
    stage: 'checking that the platform can apply manifests over a running deployment',
    run: async (f, ctx) => {
      const cap = ctx.platform.faults.rollout;
      if (isUnsupported(cap)) throw new UnsupportedError(cap.unsupported);
      f.fault = cap;
      f.revisionsBefore = await cap.podRevisions();
    },
  },
  ...rollingSetupSteps,
  {
    stage: 'reading the server versions',
    run: async (f, ctx) => {
      f.versionsBefore = await versionsOf(ctx, f.podsBefore);
    },
  },
  {
    stage: 'applying the head manifests over the running deployment (kubectl apply)',
    run: async (f, ctx) => {
      const t0 = Date.now();
      ctx.timeline.setOrigin(t0);
      try {
        f.update = await f.fault!.apply(f.head.set, f.head.redis);
      } catch (err) {
        if (err instanceof ApplyRefusedError) f.refused = err;
        throw err;
      }
      ctx.timeline.mark('head-applied', Date.now(), f.update.changed.join(', ') || 'nothing changed');
      ctx.log.info(
        `rollout: applied (${f.update.changed.join(', ') || 'no object changed'}); revision ${f.update.currentRevision} -> ${f.update.updateRevision}, ${f.update.strategy}`,
      );
    },
  },
  {
    stage: (f) =>
      f.update?.strategy === 'OnDelete'
        ? 'deleting the pods in the controller order (updateStrategy OnDelete)'
        : 'waiting for the StatefulSet controller to roll the pods (RollingUpdate)',
    run: async (f, ctx) => {
      const update = f.update!;
      if (update.currentRevision === update.updateRevision) {
        ctx.log.info('rollout: the pod template did not change: no pod is restarted');
        f.rolloutDone = true;
        return;
      }
      const timeoutMs = f.opts.rejoinTimeoutMs * f.podsBefore.length;
      ctx.timeline.mark('restart-started', Date.now(), update.strategy);
      await rollWatched(
        f,
        ctx,
        async () => {
          if (update.strategy === 'OnDelete') {
            f.deletedByScenario = true;
            await deleteInControllerOrder(f, ctx, f.opts.rejoinTimeoutMs);
          } else await f.fault!.waitRolledOut(timeoutMs);
        },
        (done) =>
          watchVersions(f, ctx, done).catch((err: unknown) => {
            if (!(err instanceof CancelledError)) ctx.log.warn(`version watch: ${messageOf(err)}`);
          }),
      );
    },
  },
  rollingCheckSteps[0]!, // the cluster's health, NodeIDs and roles after
  {
    stage: 'reading the pods revisions and versions',
    run: async (f, ctx) => {
      f.revisionsAfter = await f.fault!.podRevisions();
      f.versionsAfter = await versionsOf(ctx, f.podsAfter ?? []);
    },
  },
  rollingCheckSteps[1]!, // the writes and canaries read back
];

const skipped = (id: Check['id'], why: string): Check => ({ id, status: 'skipped', summary: why, evidence: {} });

/** The pods the update should have moved to the new revision: at or above the partition (all for OnDelete, which
 * the scenario deletes itself). */
function podsDue(f: RolloutFacts): PodInfo[] {
  const u = f.update!;
  return f.podsBefore.filter((p) => u.strategy === 'OnDelete' || p.ordinal >= u.partition);
}

export function rolloutChecks(f: RolloutFacts, pods: PodRestart[], error: string | undefined): Check[] {
  const notReached = `not reached: ${error ?? 'the scenario stopped early'}`;
  const checks: Check[] = [];
  checks.push(
    f.refused
      ? {
          id: 'apply-accepted',
          status: 'fail',
          summary: `the API server refuses the head manifests: ${f.refused.object} ${f.refused.field} changed, which cannot be changed in place (the pull request would not deploy): ${f.refused.serverMessage}`,
          evidence: { object: f.refused.object, field: f.refused.field, message: f.refused.serverMessage },
        }
      : !f.update
        ? skipped('apply-accepted', notReached)
        : {
            id: 'apply-accepted',
            status: 'pass',
            summary: `the head manifests applied over the running deployment (${f.update.changed.join(', ') || 'no object changed'})`,
            evidence: { ...f.update },
          },
  );
  const revs = f.revisionsAfter;
  if (!f.update || !revs || !f.rolloutDone) checks.push(skipped('pods-on-head-revision', notReached));
  else {
    const due = podsDue(f);
    const behind = due.filter((p) => revs[p.name] !== f.update!.updateRevision);
    const restartsNoPod = f.update.currentRevision === f.update.updateRevision;
    checks.push({
      id: 'pods-on-head-revision',
      status: behind.length ? 'fail' : 'pass',
      summary: behind.length
        ? `${behind.map((p) => p.name).join(', ')} still run${behind.length === 1 ? 's' : ''} revision ${revs[behind[0]!.name] ?? '?'}, not the head's ${f.update.updateRevision}`
        : restartsNoPod
          ? `the pull request changes nothing in the pod template (revision ${f.update.updateRevision}): no pod was restarted`
          : `${due.length} pod(s) run the head revision ${f.update.updateRevision}` +
            (due.length < f.podsBefore.length ? ` (pods below partition ${f.update.partition} keep theirs)` : ''),
      evidence: { revisions: revs, updateRevision: f.update.updateRevision, currentRevision: f.update.currentRevision },
    });
  }
  checks.push(
    nodeIdsCheck(
      f,
      pods,
      notReached,
      () => nodeIdLossCause(f.changes, f.head.redis) ?? 'no change of the pull request explains it',
    ),
  );
  checks.push(clusterHealthy(f.health, notReached));
  checks.push(coverageCheck(f, notReached));
  checks.push(failoversSafeCheck(f, pods, notReached));
  checks.push(...writeChecks(f, notReached));
  return checks;
}

function rolloutReport(f: RolloutFacts): RolloutReport {
  const names = f.podsBefore.map((p) => p.name);
  return {
    changes: f.changes,
    ...(f.update ? { update: f.update } : {}),
    ...(f.refused
      ? { refused: { object: f.refused.object, field: f.refused.field, message: f.refused.serverMessage } }
      : {}),
    restartsNoPod: !!f.update && f.update.currentRevision === f.update.updateRevision,
    deletedByScenario: f.deletedByScenario,
    pods: names.map((pod) => ({
      pod,
      ...(f.revisionsBefore?.[pod] ? { revisionBefore: f.revisionsBefore[pod] } : {}),
      ...(f.revisionsAfter?.[pod] ? { revisionAfter: f.revisionsAfter[pod] } : {}),
      ...(f.versionsBefore[pod] ? { versionBefore: f.versionsBefore[pod] } : {}),
      ...(f.versionsAfter[pod] ? { versionAfter: f.versionsAfter[pod] } : {}),
    })),
  };
}

/**
 * A pull request's manifests rolled out over the running cluster its base deployed: `kubectl apply` of the head
 * manifests under write load, the StatefulSet's updateStrategy deciding what happens; each pod must come back on
 * the head revision with its NodeID, the cluster whole with the same slot coverage and no acknowledged write lost.
 */
export async function runRollout(env: ScenarioEnv, opts: ScenarioSettings): Promise<ScenarioResult> {
  const startedAt = Date.now();
  if (!env.rollout)
    throw new Error('the rollout scenario needs the base manifests (base-manifests), deployed before it runs');
  const facts: RolloutFacts = {
    ...(await snapshotRolling(env, opts)),
    head: env.rollout.head,
    changes: deploymentChanges(env.rollout.base, env.rollout.head),
    deletedByScenario: false,
    versionsBefore: {},
    versionsAfter: {},
  };
  const outcome = await driveSteps('rollout', steps, facts, env);
  const pods = podRestarts(facts);
  const report = rolloutReport(facts);
  const origin = outcome.timeline.originAt;
  if (facts.mixed && origin !== undefined) {
    report.mixedVersions = {
      versions: [...facts.mixed.versions].sort(),
      fromMs: facts.mixed.from - origin,
      ...(facts.mixed.to !== undefined
        ? { toMs: facts.mixed.to - origin, durationMs: facts.mixed.to - facts.mixed.from }
        : {}),
    };
  }
  const notes: string[] = [];
  if (report.restartsNoPod)
    notes.push('The pull request changes nothing in the pod template: applying it restarts no pod.');
  if (report.restartsNoPod && facts.changes.configMaps.length)
    notes.push(
      `ConfigMap ${facts.changes.configMaps.join(', ')} changed without a change of the pod template: the running servers keep the old config until each pod restarts for another reason.`,
    );
  if (facts.deletedByScenario)
    notes.push(
      'updateStrategy OnDelete: the StatefulSet controller replaces no pod by itself; the scenario deleted them in the controller order (highest ordinal first, each Ready before the next).',
    );
  return scenarioResult(env, 'rollout', startedAt, outcome, rolloutChecks(facts, pods, outcome.error), {
    ...rollingBody(facts, pods, notes),
    rollout: report,
  });
}
