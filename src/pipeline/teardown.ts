import { messageOf } from '../errors.ts';
import type { PlatformName, PlatformWithNotes } from '../platform/select.ts';
import { collectEvidence } from '../report/evidence.ts';
import { finishRunDir, type RunDir } from '../undo/work-dir.ts';
import { cancelCause } from '../util/termination.ts';
import type { PipelineOptions } from './options.ts';
import type { Side } from './side-state.ts';

/**
 * The end of every side that created a platform, whatever happened: evidence of a failed or broken run, the
 * teardown, what the platform has to tell the report, and the run dir.
 */
export async function closeSide(
  side: Side,
  platform: PlatformWithNotes,
  run: RunDir,
  kind: PlatformName,
  port: number,
  retain: PipelineOptions['retain'],
): Promise<void> {
  const { log, signal, report } = side;
  log.section?.('Evidence and teardown');
  await collectBrokenEvidence(side, platform, port);
  if (signal?.aborted)
    log.info(`Cancelled by ${cancelCause(signal)} while ${side.stage}: releasing the hold and tearing down`);
  // teardown() releases any hold first and never throws by contract; if one did, it must not replace the
  // run's own outcome. It does not honour the cancel (PlatformContext.signal): it is the cancel's cleanup.
  await platform.teardown().catch((err: unknown) => log.warn(`teardown: ${messageOf(err)}`));
  // After teardown, which releases a hold still in place (and so completes its record).
  if (platform.hold) report.hold = platform.hold;
  if (platform.notes?.length) report.notes = [...(report.notes ?? []), ...platform.notes];
  // On kind the run dir is the cluster's storage (the NFS stand-in): it stays while the cluster does.
  await finishRunDir(run, log, kind === 'kind' && retain === 'keep').catch((err: unknown) =>
    log.warn(`finishing ${run.dir}: ${messageOf(err)}`),
  );
}

/**
 * A failed or broken run leaves what it saw (Redis views, pod logs, events) before teardown removes it. Not
 * after bad input (nothing ran) nor a cancel (the cleanup must finish within the runner's grace).
 */
async function collectBrokenEvidence(side: Side, platform: PlatformWithNotes, port: number): Promise<void> {
  const { report, log, signal } = side;
  const broken = report.verdict === 'fail' || (report.verdict === 'error' && report.error !== undefined);
  if (!broken || signal?.aborted) return;
  report.evidence = await collectEvidence(platform, port, side.config.reportDir, log).catch((err: unknown) => {
    log.warn(`evidence: ${messageOf(err)}`);
    return [];
  });
}
