import * as core from '@actions/core';
import { OPTIONS, parseConfig } from './config.ts';
import { errorChain, InputError, messageOf } from './errors.ts';
import { exitCodeOf, runCheck } from './pipeline/check.ts';
import { annotateFindings, annotateRunError } from './report/annotations.ts';
import { renderMarkdown, renderStoppedMarkdown } from './report/markdown.ts';
import { verdictReason } from './report/facts.ts';
import { actionOutputs } from './report/outputs.ts';
import { renderTerminal } from './report/terminal.ts';
import { commentMarker } from './report/pr-comment.ts';
import { postStickyComment, pullRequestNumber } from './github/sticky-comment.ts';
import { readFile } from 'node:fs/promises';
import { lockReportDir } from './report/dir-lock.ts';
import { checkReportDir, writeReports } from './report/write.ts';
import { actionJournalStore, WORK_DIR_STATE } from './action-state.ts';
import { defaultRunsRoot } from './undo/work-dir.ts';
import { holdYoungGeneration } from './util/young-generation.ts';
import type { Log } from './util/log.ts';
import { packagePath } from './util/package-path.ts';
import { displayPath } from './util/paths.ts';
import { onSecret, redact, redactDeep, registerSecret } from './util/secrets.ts';
import { signalExitCode, trapTermination } from './util/termination.ts';

// First, before the run allocates: the action's process takes no node flags (src/util/young-generation.ts).
holdYoungGeneration();

// The action's own manifests, next to dist/ in the checked-out action.
const DEFAULT_MANIFESTS = packagePath('manifests');

// Every secret the run finds (Redis passwords, Secret values, kubeconfig tokens) is masked by the runner too.
onSecret((v) => core.setSecret(v));

// A long phase's lines fold under its title in the job log (core.startGroup writes `::group::`); groups do not
// nest, so a new section ends the one before.
let groupOpen = false;
function endGroup(): void {
  if (groupOpen) core.endGroup();
  groupOpen = false;
}

const actionLog: Log = {
  info: (m) => core.info(redact(m)),
  warn: (m) => core.warning(redact(m)),
  progress: (m) => core.info(`  … ${redact(m)}`),
  section: (title) => {
    endGroup();
    core.startGroup(redact(title));
    groupOpen = true;
  },
  // Shown only when the job runs with debug logging (RUNNER_DEBUG=1).
  debug: (m) => core.debug(redact(m)),
  secret: registerSecret,
};

/** The job summary; one that cannot be written (no GITHUB_STEP_SUMMARY) is a warning, not the step's verdict. */
async function writeJobSummary(markdown: string): Promise<void> {
  await core.summary
    .addRaw(markdown, true)
    .write()
    .then(
      () => undefined,
      (err: unknown) => core.warning(`job summary: ${messageOf(err)}`),
    );
}

/**
 * The action's main step: inputs → pipeline → reports, summary, outputs, annotations. A cancelled or timed-out
 * job (SIGINT, SIGTERM 7.5 s later) cancels the run: the hold is released and the cluster torn down at once,
 * the reports are written, and the post step undoes whatever is left.
 */
export async function run(): Promise<void> {
  const termination = trapTermination((line) => core.warning(line));
  let release: (() => void) | undefined;
  try {
    const raw = Object.fromEntries(Object.keys(OPTIONS).map((name) => [name, core.getInput(name)]));
    const config = parseConfig('check', raw, 'input', DEFAULT_MANIFESTS);
    // One run at a time in a report dir (report/dir-lock.ts); checked first so a bad report-dir is named as such.
    await checkReportDir(config.reportDir);
    release = lockReportDir(config.reportDir);
    const report = redactDeep(
      await runCheck(config, {
        log: actionLog,
        inAction: true,
        signal: termination.signal,
        // The journal in action state, for the post step; so is the run dir.
        workDirs: {
          root: config.workDir ?? defaultRunsRoot(),
          store: actionJournalStore(),
          created: (dir) => core.saveState(WORK_DIR_STATE, dir),
        },
        // A kind cluster outlives the main step (later steps may inspect it); the post step deletes it.
        retain: config.keepCluster ? 'keep' : 'defer',
        optionName: (name) => `input ${name}`,
      }),
    );
    endGroup();
    // The verdict first, in the log: a report that cannot be written must not hide what the run found.
    core.info(renderTerminal(report));
    annotateFindings(report.lint, core);
    annotateRunError(report, core);
    await writeJobSummary(renderMarkdown(report));
    const comment = { key: config.commentKey ?? process.env.GITHUB_JOB ?? 'check', ...runUrl(process.env) };
    const paths = await writeReports(report, config.reportDir, comment).catch((err: unknown) => {
      core.setFailed(
        `verdict ${report.verdict}, but the reports could not be written into ${displayPath(config.reportDir)}: ${messageOf(err)}`,
      );
      return undefined;
    });
    for (const [name, value] of Object.entries(actionOutputs(report, paths))) core.setOutput(name, value);
    if (config.comment && paths) await commentOnPullRequest(config.githubToken, comment.key, paths.comment);
    // The log's last line is the verdict and why.
    const verdict = `verdict ${report.verdict}: ${verdictReason(report)}`;
    if (exitCodeOf(report) !== 0) core.setFailed(verdict);
    else core.info(verdict);
  } catch (err) {
    endGroup();
    // Bad input (or a break before any report): the workflow still gets a verdict and a summary saying why.
    const message = err instanceof InputError ? `bad input: ${messageOf(err)}` : messageOf(err);
    actionLog.debug?.(errorChain(err));
    try {
      core.setOutput('verdict', 'error');
    } catch (e) {
      core.warning(`outputs: ${messageOf(e)}`); // no GITHUB_OUTPUT file: outside a runner
    }
    await writeJobSummary(renderStoppedMarkdown(message));
    core.setFailed(message);
  } finally {
    release?.();
    termination.dispose();
    const sig = termination.received();
    if (sig) process.exitCode = signalExitCode(sig);
  }
}

/** This run's page (GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID), where its artifacts are. */
function runUrl(env: NodeJS.ProcessEnv): { reportUrl?: string } {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = env;
  return server && repo && id ? { reportUrl: `${server}/${repo}/actions/runs/${id}` } : {};
}

/**
 * `comment: true`: pr-comment.md as this job's one comment on the pull request (created, then updated in place).
 * Nothing here changes the verdict: without a pull request, a token, or the right to write (a fork's read-only
 * token), the log says why and the comment's text goes into the job summary.
 */
async function commentOnPullRequest(token: string | undefined, key: string, file: string): Promise<void> {
  const pr = await pullRequestNumber(process.env);
  const body = await readFile(file, 'utf8');
  const skip = async (why: string) => {
    core.warning(`comment: ${why}`);
    await writeJobSummary(`\n### Pull-request comment (not posted: ${why})\n\n${body}`);
  };
  const { GITHUB_API_URL: apiUrl = 'https://api.github.com', GITHUB_REPOSITORY: repository } = process.env;
  if (pr === undefined) return skip('this run is not for a pull request (no pull_request in its event)');
  if (!token) return skip('comment: true needs the github-token input');
  if (!repository) return skip('GITHUB_REPOSITORY is not set');
  const outcome = await postStickyComment({ apiUrl, repository, prNumber: pr, token }, commentMarker(key), body);
  if (outcome.posted) core.info(`comment: ${outcome.posted} ${outcome.url}`);
  else await skip(outcome.reason);
}

// No process.exit(): as in the CLI, the step ends once nothing is left open.
await run();
