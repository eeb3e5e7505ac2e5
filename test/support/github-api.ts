import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the part of GitHub's REST API that issue comments use, answering as GitHub documents
 * it (docs.github.com, REST, Issues > Comments): GET /repos/{o}/{r}/issues/{n}/comments (per_page, page; oldest
 * first), POST the same (201 with the comment), PATCH /repos/{o}/{r}/issues/comments/{id} (200). A token in
 * `readOnly` gets GitHub's 403 for a write ("Resource not accessible by integration", as a fork's GITHUB_TOKEN).
 * Each comment has its author (`user.login`, `user.type`); one pushed without is the token's own. GET /user
 * answers a personal token with its user, and an installation token (GITHUB_TOKEN, a GitHub App's) with 403
 * "Resource not accessible by integration", as GitHub does (the endpoint needs a user).
 */
export interface CommentAuthor {
  login: string;
  type: 'User' | 'Bot';
}

export interface GitHubStandIn {
  url: string;
  comments: Array<{ id: number; body: string; issue: number; user?: CommentAuthor }>;
  requests: string[];
  close(): Promise<void>;
}

/** GITHUB_TOKEN's identity: comments it writes are by github-actions[bot]. */
export const ACTIONS_BOT: CommentAuthor = { login: 'github-actions[bot]', type: 'Bot' };

export async function startGitHubStandIn(opts: {
  token: string;
  readOnly?: boolean;
  /** Whose token it is: a Bot is an installation token (the default, GITHUB_TOKEN's), a User a personal one. */
  identity?: CommentAuthor;
}): Promise<GitHubStandIn> {
  const identity = opts.identity ?? ACTIONS_BOT;
  const comments: GitHubStandIn['comments'] = [];
  const requests: string[] = [];
  let nextId = 1000;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method ?? ''} ${url.pathname}${url.search}`);
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${opts.token}`) {
        send(401, { message: 'Bad credentials' });
        return;
      }
      if (url.pathname === '/user' && req.method === 'GET') {
        if (identity.type === 'Bot') send(403, { message: 'Resource not accessible by integration', status: '403' });
        else send(200, { login: identity.login, type: identity.type });
        return;
      }
      const list = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(url.pathname);
      const one = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(url.pathname);
      const forbidden = () => send(403, { message: 'Resource not accessible by integration', status: '403' });
      const html = (id: number) => `https://github.example/o/r/pull/1#issuecomment-${id}`;
      if (list && req.method === 'GET') {
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const page = Number(url.searchParams.get('page') ?? 1);
        const mine = comments.filter((c) => c.issue === Number(list[1]));
        send(
          200,
          mine
            .slice((page - 1) * perPage, page * perPage)
            .map((c) => ({ id: c.id, body: c.body, html_url: html(c.id), user: c.user ?? identity })),
        );
        return;
      }
      if (list && req.method === 'POST') {
        if (opts.readOnly) {
          forbidden();
          return;
        }
        const c = {
          id: nextId++,
          body: (JSON.parse(raw) as { body: string }).body,
          issue: Number(list[1]),
          user: identity,
        };
        comments.push(c);
        send(201, { id: c.id, body: c.body, html_url: html(c.id), user: identity });
        return;
      }
      if (one && req.method === 'PATCH') {
        if (opts.readOnly) {
          forbidden();
          return;
        }
        const c = comments.find((x) => x.id === Number(one[1]));
        if (!c) {
          send(404, { message: 'Not Found' });
          return;
        }
        // A token with write access may edit anyone's comment (as a maintainer can): only the caller's check
        // keeps it to its own, so the stand-in lets it through and the tests look at whose comment changed.
        c.body = (JSON.parse(raw) as { body: string }).body;
        send(200, { id: c.id, body: c.body, html_url: html(c.id) });
        return;
      }
      send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    comments,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
