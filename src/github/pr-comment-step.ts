import { readFile } from 'node:fs/promises';
import { messageOf } from '../errors.ts';
import type { Log } from '../util/log.ts';
import { postStickyComment } from './sticky-comment.ts';

/** What the runner tells a step about the run (docs.github.com: default environment variables). */
export interface RunnerEnv {
  GITHUB_EVENT_PATH?: string;
  GITHUB_REPOSITORY?: string;
  GITHUB_API_URL?: string;
  GITHUB_SERVER_URL?: string;
  GITHUB_RUN_ID?: string;
  GITHUB_JOB?: string;
}

/** The job summary link: where a pull request's reader finds the full report. */
export function runUrl(env: RunnerEnv): string | undefined {
  return env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
    ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
    : undefined;
}

/** The pull request this run is for, from the event payload; undefined for any other event. */
async function pullRequestNumber(env: RunnerEnv): Promise<number | undefined> {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  const event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as {
    pull_request?: { number?: unknown };
    number?: unknown;
  };
  const n = event.pull_request?.number ?? (event.pull_request ? event.number : undefined);
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * With comment: true, posts `body` as this job's sticky comment. Never fails the step: without a token, outside
 * a pull request, or with a token that may not write (a fork), it logs why; where it could not post, the text
 * goes to the job summary (`toSummary`) instead.
 */
export async function commentOnPullRequest(
  body: string,
  opts: { token?: string; marker: string; env: RunnerEnv; log: Log; toSummary: (markdown: string) => Promise<void> },
): Promise<void> {
  const { env, log } = opts;
  if (!opts.token) {
    log.warn('comment: true, but no github-token: the pull-request comment is in the job summary only');
    return;
  }
  const issueNumber = await pullRequestNumber(env).catch(() => undefined);
  if (!issueNumber || !env.GITHUB_REPOSITORY) {
    log.info('comment: not a pull_request event: no comment posted (pr-comment.md is in the report dir)');
    return;
  }
  try {
    const r = await postStickyComment(
      {
        apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
        repository: env.GITHUB_REPOSITORY,
        issueNumber,
        token: opts.token,
        marker: opts.marker,
      },
      body,
    );
    if (r.outcome === 'not-permitted') {
      log.warn(`comment: could not comment on pull request #${issueNumber}: ${r.reason}`);
      await opts.toSummary(body);
    } else
      log.info(`comment: ${r.outcome} comment ${r.id} on pull request #${issueNumber}${r.url ? ` (${r.url})` : ''}`);
  } catch (err) {
    log.warn(
      `comment: posting to pull request #${issueNumber} failed: ${messageOf(err)}; the text is in the job summary`,
    );
    await opts.toSummary(body);
  }
}
