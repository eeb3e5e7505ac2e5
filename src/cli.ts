#!/usr/bin/env node
import pkg from '../package.json' with { type: 'json' };
import { parseArgs, usage } from './cli-args.ts';
import { parseConfig, type Config } from './config.ts';
import { errorChain, InputError, messageOf } from './errors.ts';
import { formatFindings } from './manifests/lint/index.ts';
import { lintWithConfig, readManifests } from './prepare.ts';
import { chooseTopology } from './redis/plan.ts';
import { renderReportPaths, renderTerminal } from './report/terminal.ts';
import { lockReportDir } from './report/dir-lock.ts';
import { checkReportDir, writeReports } from './report/write.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { OWNER_FILE, runDirTrust } from './undo/trust.ts';
import { cleanRunDir, cleanStaleRuns, defaultRunsRoot, processAlive } from './undo/work-dir.ts';
import { stderrDebugLog, stderrLog, type Log } from './util/log.ts';
import { packagePath } from './util/package-path.ts';
import { displayPath } from './util/paths.ts';
import { redact, redactDeep } from './util/secrets.ts';
import { signalExitCode, trapTermination } from './util/termination.ts';
import { holdYoungGeneration } from './util/young-generation.ts';

// First, before the run allocates: node's own flags are not ours to set (src/util/young-generation.ts).
holdYoungGeneration();

// The manifests shipped with the tool; the same relative place from src/ and from dist/.
const DEFAULT_MANIFESTS = packagePath('manifests');

async function lint(config: Config): Promise<number> {
  const { set, redis } = await readManifests(config);
  const findings = lintWithConfig(set, chooseTopology(redis.replicas, config), config);
  process.stdout.write(`${redact(formatFindings(findings))}\n`);
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

const say = (line: string): void => {
  process.stderr.write(`redis-cluster-resilience: ${redact(line)}\n`);
};

/** A check; Ctrl-C / SIGTERM cancel it (cleanup and report first), and it then exits 130 / 143. */
async function check(config: Config, log: Log): Promise<number> {
  // One run at a time in a report dir (report/dir-lock.ts); checked first so a bad report-dir is named as such.
  await checkReportDir(config.reportDir);
  const release = lockReportDir(config.reportDir);
  const termination = trapTermination(say);
  try {
    // Imported here: `lint` needs none of it (the Redis client, the platforms, the scenarios).
    const { exitCodeOf, runCheck } = await import('./pipeline/check.ts');
    const report = redactDeep(
      await runCheck(config, {
        log,
        signal: termination.signal,
        workDirs: { root: config.workDir ?? defaultRunsRoot() },
        retain: config.keepCluster ? 'keep' : undefined,
        optionName: (name) => `--${name}`,
      }),
    );
    // The verdict first: a report that cannot be written must not hide what the run found.
    process.stdout.write(`${renderTerminal(report)}\n`);
    let reportPath: string;
    try {
      const files = await writeReports(report, config.reportDir);
      reportPath = files.report;
      process.stdout.write(`\n${renderReportPaths(files)}\n`);
    } catch (err) {
      say(`could not write the reports into ${displayPath(config.reportDir)}: ${messageOf(err)}`);
      return 1;
    }
    const sig = termination.received();
    if (sig === undefined) return exitCodeOf(report);
    say(`cancelled by ${sig}; cleanup done, report written to ${reportPath}`);
    return signalExitCode(sig);
  } finally {
    termination.dispose();
    release();
  }
}

/**
 * `cleanup`: finishes what killed runs left (their undo journals: kind clusters, routes, Kubernetes objects,
 * holds, cordons, redis-server processes) and removes their dirs. `--work-dir` names a root of run dirs or one
 * run dir (a kept one included). Dirs of runs still running are left alone.
 */
async function cleanup(config: Config, log: Log): Promise<number> {
  const dir = config.workDir ?? defaultRunsRoot();
  // A dir with an owner file is one run's: it is acted on only when this user's run of this tool made it.
  if (existsSync(path.join(dir, OWNER_FILE))) {
    const trust = await runDirTrust(dir);
    if ('why' in trust)
      throw new InputError(
        `--work-dir ${dir}: ${trust.why}; cleanup acts only on the run dirs this user's runs of this tool made`,
      );
    if (processAlive(trust.owner))
      throw new InputError(`--work-dir ${dir}: the run that owns it is still running; cancel it instead (Ctrl-C)`);
    const failed = await cleanRunDir(dir, log);
    say(
      failed.length
        ? `${failed.length} change(s) could not be undone; ${dir} is kept for another try`
        : `cleaned up ${dir}`,
    );
    return failed.length ? 1 : 0;
  }
  const { cleaned, failed } = await cleanStaleRuns(dir, log);
  say(
    `${cleaned.length} run dir(s) cleaned up under ${dir}${failed.length ? `; ${failed.length} change(s) could not be undone (kept for another try)` : ''}`,
  );
  return failed.length ? 1 : 0;
}

const COMMANDS: Record<Config['command'], (config: Config, log: Log) => Promise<number>> = { check, lint, cleanup };

export async function main(argv: string[]): Promise<number> {
  // Known before parsing, so that a parse error is shown with its chain too.
  const debug = argv.includes('--debug');
  const log = debug ? stderrDebugLog : stderrLog;
  try {
    const { command = 'check', flags } = parseArgs(argv);
    delete flags.debug;
    if (flags.help !== undefined || command === 'help') {
      process.stdout.write(`${usage()}\n`);
      return 0;
    }
    if (flags.version !== undefined) {
      process.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    if (!Object.hasOwn(COMMANDS, command)) {
      throw new InputError(`unknown command "${command}"; valid: ${Object.keys(COMMANDS).join(', ')} (see --help)`);
    }
    const name = command as Config['command'];
    const config = parseConfig(name, flags, 'flag', DEFAULT_MANIFESTS);
    return await COMMANDS[name](config, log);
  } catch (err) {
    process.stderr.write(`redis-cluster-resilience: ${redact(messageOf(err))}\n`);
    log.debug?.(errorChain(err));
    return err instanceof InputError ? 2 : 1;
  }
}

// A reader that goes away (`check | head`) must not crash the run with an unhandled EPIPE in the middle of its
// cleanup: what is left to print is dropped, and the run still tears down and writes its report files.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

// No process.exit(): the process ends once nothing is left open, so a leaked handle shows up as a hang in the
// tests instead of being hidden.
process.exitCode = await main(process.argv.slice(2));
