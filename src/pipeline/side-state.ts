import pkg from '../../package.json' with { type: 'json' };
import { publicConfig, type Config } from '../config.ts';
import { errorChain, messageOf, placeOf } from '../errors.ts';
import { manifestsSource } from '../prepare.ts';
import { REPORT_SCHEMA_VERSION, type Report } from '../report/model.ts';
import type { Log } from '../util/log.ts';
import { cancelCause } from '../util/termination.ts';
import type { PipelineOptions } from './options.ts';

/** One side's run as its steps share it: what it was given, the report they fill in, and what it is doing. */
export interface Side {
  config: Config;
  log: Log;
  signal: AbortSignal | undefined;
  /** How the user names an option, for messages (PipelineOptions.optionName). */
  optionName: (name: string) => string;
  startedAt: Date;
  report: Report;
  /** What the run is doing now, for a cancel's message ("cancelled by SIGINT while …"). */
  stage: string;
}

export function startSide(config: Config, options: PipelineOptions, platform: string, startedAt: Date): Side {
  return {
    config,
    log: options.log,
    signal: options.signal,
    optionName: options.optionName ?? ((name: string) => name),
    startedAt,
    report: emptyReport(config, platform, startedAt),
    stage: 'starting',
  };
}

function emptyReport(config: Config, platform: string, startedAt: Date): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'redis-cluster-resilience', version: pkg.version },
    verdict: 'error',
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    platform,
    manifests: manifestsSource(config),
    config: publicConfig(config),
    lint: [],
    nfsRewrites: [],
    scenarios: [],
  };
}

/** A note for the report (what the log also said). */
export function addNote(report: Report, note: string): void {
  (report.notes ??= []).push(note);
}

/** The run broke (after the platform was created): verdict error, with the message and where it points. */
export function recordError(side: Side, err: unknown): void {
  const { report } = side;
  report.verdict = 'error';
  report.error = messageOf(err);
  const at = placeOf(err);
  if (at) report.errorAt = at;
  side.log.debug?.(errorChain(err));
}

/** The report as the side ends, whatever it got to. */
export function finishSide(side: Side): Report {
  const { report, signal } = side;
  // Whatever the run got to, a cancel is what ended it (a check that failed on the way is still in the report).
  if (signal?.aborted) {
    report.verdict = 'cancelled';
    report.error =
      report.scenarios.find((s) => s.status === 'cancelled')?.error ??
      `cancelled by ${cancelCause(signal)} while ${side.stage}`;
  }
  report.durationMs = Date.now() - side.startedAt.getTime();
  return report;
}
