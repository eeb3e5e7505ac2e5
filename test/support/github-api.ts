import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the part of GitHub's REST API that issue comments use, answering as GitHub documents
 * it (docs.github.com, REST, Issues > Comments): GET /repos/{o}/{r}/issues/{n}/comments (per_page, page; oldest
 * first), POST the same (201 with the comment), PATCH /repos/{o}/{r}/issues/comments/{id} (200). A token in
 * `readOnly` gets GitHub's 403 for a write ("Resource not accessible by integration", as a fork's GITHUB_TOKEN).
 */
export interface GitHubStandIn {
  url: string;
  comments: Array<{ id: number; body: string; issue: number }>;
  requests: string[];
  close(): Promise<void>;
}

export async function startGitHubStandIn(opts: { token: string; readOnly?: boolean }): Promise<GitHubStandIn> {
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
            .map((c) => ({ id: c.id, body: c.body, html_url: html(c.id) })),
        );
        return;
      }
      if (list && req.method === 'POST') {
        if (opts.readOnly) {
          forbidden();
          return;
        }
        const c = { id: nextId++, body: (JSON.parse(raw) as { body: string }).body, issue: Number(list[1]) };
        comments.push(c);
        send(201, { id: c.id, body: c.body, html_url: html(c.id) });
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
