/**
 * One comment per job on a pull request, updated in place on every push: found again by a hidden marker line,
 * through the REST API's issue comments (GET /repos/{owner}/{repo}/issues/{n}/comments, POST there to create,
 * PATCH /repos/{owner}/{repo}/issues/comments/{id} to update; docs.github.com/rest/issues/comments). A token
 * that may not write (a fork's pull request gets a read-only GITHUB_TOKEN: 403) is not a failure of the check.
 */

export interface StickyCommentTarget {
  /** https://api.github.com, or GITHUB_API_URL on GitHub Enterprise. */
  apiUrl: string;
  /** owner/name */
  repository: string;
  issueNumber: number;
  token: string;
  marker: string;
  /** Bound on each request. */
  timeoutMs?: number;
}

export type StickyCommentResult =
  { outcome: 'created' | 'updated'; id: number; url?: string } | { outcome: 'not-permitted'; reason: string };

const PAGE = 100;
/** Pages of comments looked through for the marker (a very long thread: the newest are on the last pages). */
const MAX_PAGES = 20;

interface IssueComment {
  id: number;
  body?: string;
  html_url?: string;
}

class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(t: StickyCommentTarget, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${t.apiUrl.replace(/\/+$/, '')}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${t.token}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'redis-cluster-resilience',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(t.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: the text itself
    }
    throw new GitHubApiError(res.status, `${method} ${path}: ${res.status} ${message}`);
  }
  return JSON.parse(text) as T;
}

/** Creates this job's comment, or updates the one that carries its marker. */
export async function postStickyComment(t: StickyCommentTarget, body: string): Promise<StickyCommentResult> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(t.repository)) throw new Error(`not a repository (owner/name): ${t.repository}`);
  const issue = `/repos/${t.repository}/issues/${t.issueNumber}`;
  const text = body.includes(t.marker) ? body : `${t.marker}\n${body}`;
  try {
    let found: IssueComment | undefined;
    for (let page = 1; page <= MAX_PAGES && !found; page++) {
      const comments = await call<IssueComment[]>(t, 'GET', `${issue}/comments?per_page=${PAGE}&page=${page}`);
      found = comments.find((c) => c.body?.includes(t.marker));
      if (comments.length < PAGE) break;
    }
    if (found) {
      const c = await call<IssueComment>(t, 'PATCH', `/repos/${t.repository}/issues/comments/${found.id}`, {
        body: text,
      });
      return { outcome: 'updated', id: c.id, ...(c.html_url ? { url: c.html_url } : {}) };
    }
    const c = await call<IssueComment>(t, 'POST', `${issue}/comments`, { body: text });
    return { outcome: 'created', id: c.id, ...(c.html_url ? { url: c.html_url } : {}) };
  } catch (err) {
    if (err instanceof GitHubApiError && (err.status === 403 || err.status === 401))
      return {
        outcome: 'not-permitted',
        reason: `${err.message} (a pull request from a fork gets a read-only token: the comment is in the job summary instead)`,
      };
    throw err;
  }
}
