import { readFile } from 'node:fs/promises';
import { messageOf } from '../errors.ts';

/** Where the comment goes and how to reach GitHub: the action's environment (GITHUB_* variables) and a token. */
export interface CommentTarget {
  /** REST API base, e.g. https://api.github.com (GITHUB_API_URL; GitHub Enterprise has its own). */
  apiUrl: string;
  /** owner/name (GITHUB_REPOSITORY). */
  repository: string;
  prNumber: number;
  token: string;
}

export type CommentOutcome = { posted: 'created' | 'updated'; url: string } | { posted: false; reason: string };

type Call = (method: string, path: string, payload?: unknown) => Promise<unknown>;

/**
 * Which comment authors are this token: a personal token's user (GET /user names it); an installation token
 * (GITHUB_TOKEN, a GitHub App's), which GET /user refuses with 403 "Resource not accessible by integration"
 * (seen in actions/create-github-app-token#258), writes as a bot (github-actions[bot]), so a
 * bot's comment is taken for its own.
 */
async function authorTest(call: Call): Promise<(user: { login?: string; type?: string } | undefined) => boolean> {
  const me = (await call('GET', '/user').catch((err: unknown) => {
    if (messageOf(err).includes(': 403 ')) return undefined;
    throw err;
  })) as { login?: string } | undefined;
  return me?.login ? (user) => user?.login === me.login : (user) => user?.type === 'Bot';
}

/** Each request's bound: a slow API must not hold the job. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Comments read at most while looking for ours (100 a page): a PR with more gets a new comment. */
const MAX_PAGES = 10;

/**
 * The pull request a workflow run is for, from its event payload (GITHUB_EVENT_PATH): `pull_request` and
 * `pull_request_target` events carry `pull_request.number`. undefined for any other event.
 */
export async function pullRequestNumber(env: NodeJS.ProcessEnv): Promise<number | undefined> {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  const payload = await readFile(env.GITHUB_EVENT_PATH, 'utf8').then(
    (t) => JSON.parse(t) as { pull_request?: { number?: unknown } },
    () => undefined,
  );
  const n = payload?.pull_request?.number;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * Creates this job's comment on the pull request, or updates it in place when an earlier push made it (found by
 * the hidden marker it opens with, among the PR's comments): one comment per job, current after every push. Never
 * throws: a token that may not write (a fork's pull request gets a read-only GITHUB_TOKEN: 403) or any API failure
 * comes back as `posted: false` with the reason, for the caller to log; the run's verdict does not depend on it.
 * REST: GET /user, GET/POST /repos/{owner}/{repo}/issues/{n}/comments, PATCH /repos/{owner}/{repo}/issues/comments/{id}.
 */
export async function postStickyComment(
  target: CommentTarget,
  marker: string,
  body: string,
  fetchImpl: typeof fetch = fetch,
): Promise<CommentOutcome> {
  const api = target.apiUrl.replace(/\/+$/, '');
  const call: Call = async (method, path, payload) => {
    const res = await fetchImpl(`${api}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${target.token}`,
        'x-github-api-version': '2022-11-28',
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload ? { body: JSON.stringify(payload) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (!res.ok) {
      const why = (() => {
        try {
          return (JSON.parse(text) as { message?: string }).message ?? text;
        } catch {
          return text;
        }
      })();
      throw new Error(`${method} ${path}: ${res.status} ${why.slice(0, 200)}`);
    }
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  const base = `/repos/${target.repository}/issues`;
  try {
    const ours = await authorTest(call);
    let existing: number | undefined;
    for (let page = 1; page <= MAX_PAGES && existing === undefined; page++) {
      const comments = (await call('GET', `${base}/${target.prNumber}/comments?per_page=100&page=${page}`)) as Array<{
        id: number;
        body?: string;
        user?: { login?: string; type?: string } | null;
      }>;
      // The marker opens our comment (renderPrComment); anywhere else it is someone quoting it, not ours to edit.
      // And it is ours only when we wrote it: anyone may open a comment with the marker, and a token that may
      // write can edit others' comments, which would put this job's report under their name.
      existing = comments.find((c) => c.body?.startsWith(marker) && ours(c.user ?? undefined))?.id;
      if (comments.length < 100) break;
    }
    if (existing !== undefined) {
      const updated = (await call('PATCH', `${base}/comments/${existing}`, { body })) as { html_url?: string };
      return { posted: 'updated', url: updated.html_url ?? '' };
    }
    const created = (await call('POST', `${base}/${target.prNumber}/comments`, { body })) as { html_url?: string };
    return { posted: 'created', url: created.html_url ?? '' };
  } catch (err) {
    const forbidden = messageOf(err).includes(': 403 ');
    return {
      posted: false,
      reason: forbidden
        ? `the token may not comment on this pull request (${messageOf(err)}); a pull request from a fork gets a read-only GITHUB_TOKEN: the comment's text is in the job summary instead`
        : messageOf(err),
    };
  }
}
