/**
 * The sticky comment against a loopback stand-in of GitHub's REST API (issue comments: list, create, update), as
 * docs.github.com/rest/issues/comments describes them; a fork's read-only token is answered 403 "Resource not
 * accessible by integration" on a write, as GitHub answers it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postStickyComment } from '../../../src/github/sticky-comment.ts';
import { commentOnPullRequest } from '../../../src/github/pr-comment-step.ts';
import { commentMarker } from '../../../src/report/pr-comment.ts';

interface Stored {
  id: number;
  body: string;
}

/** Issue comments of one repository, and every request seen (method, path, authorization). */
function standIn(opts: { readOnly?: boolean } = {}) {
  const comments = new Map<number, Stored[]>();
  const seen: Array<{ method: string; path: string; auth?: string }> = [];
  let next = 1000;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({
        method: req.method ?? '',
        path: url.pathname,
        ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
      });
      const send = (status: number, body: unknown): true => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
        return true;
      };
      if (req.headers.authorization !== 'Bearer t0ken') return send(401, { message: 'Bad credentials' });
      const list = /^\/repos\/o\/r\/issues\/(\d+)\/comments$/.exec(url.pathname);
      const one = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(url.pathname);
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as { body: string }) : undefined;
      if (req.method !== 'GET' && opts.readOnly)
        return send(403, { message: 'Resource not accessible by integration' });
      if (list && req.method === 'GET') {
        const all = comments.get(Number(list[1])) ?? [];
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const page = Number(url.searchParams.get('page') ?? 1);
        return send(200, all.slice((page - 1) * perPage, page * perPage));
      }
      if (list && req.method === 'POST' && body) {
        const c = { id: next++, body: body.body };
        comments.set(Number(list[1]), [...(comments.get(Number(list[1])) ?? []), c]);
        return send(201, { ...c, html_url: `https://github.example/o/r/pull/${list[1]}#issuecomment-${c.id}` });
      }
      if (one && req.method === 'PATCH' && body) {
        for (const all of comments.values()) {
          const c = all.find((x) => x.id === Number(one[1]));
          if (c) {
            c.body = body.body;
            return send(200, c);
          }
        }
        return send(404, { message: 'Not Found' });
      }
      send(404, { message: 'Not Found' });
    });
  });
  return { server, comments, seen };
}

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

test('first push creates the comment, the next one updates the same comment in place', async () => {
  const api = standIn();
  const apiUrl = await listening(api.server);
  try {
    // Someone else's comments first, more than a page of them: the marker is looked for on every page.
    api.comments.set(
      7,
      Array.from({ length: 120 }, (_, i) => ({ id: i + 1, body: `comment ${i}` })),
    );
    const marker = commentMarker('check');
    const target = { apiUrl, repository: 'o/r', issueNumber: 7, token: 't0ken', marker };
    const first = await postStickyComment(target, `${marker}\nverdict PASS`);
    assert.is(first.outcome, 'created');
    const second = await postStickyComment(target, `${marker}\nverdict FAIL`);
    assert.equal(second, { outcome: 'updated', id: (first as { id: number }).id });
    const ours = api.comments.get(7)!.filter((c) => c.body.includes(marker));
    assert.equal(ours, [{ id: (first as { id: number }).id, body: `${marker}\nverdict FAIL` }]);
    // Another job's comment is its own.
    const other = await postStickyComment({ ...target, marker: commentMarker('e2e') }, 'other job');
    assert.is(other.outcome, 'created');
    assert.ok(api.seen.every((r) => r.auth === 'Bearer t0ken'));
  } finally {
    await close(api.server);
  }
});

test("a fork's read-only token: 403 on the write, the text goes to the job summary with a log line, no failure", async () => {
  const api = standIn({ readOnly: true });
  const apiUrl = await listening(api.server);
  const dir = await mkdtemp(join(tmpdir(), 'rcr-comment-'));
  try {
    const event = join(dir, 'event.json');
    await writeFile(event, JSON.stringify({ number: 12, pull_request: { number: 12 } }));
    const warnings: string[] = [];
    const summary: string[] = [];
    await commentOnPullRequest('the comment', {
      token: 't0ken',
      marker: commentMarker('check'),
      env: { GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: 'o/r', GITHUB_API_URL: apiUrl },
      log: { info: () => {}, warn: (m) => warnings.push(m), progress: () => {} },
      toSummary: async (m) => {
        summary.push(m);
      },
    });
    assert.equal(summary, ['the comment']);
    assert.is(warnings.length, 1);
    assert.match(warnings[0]!, '403 Resource not accessible by integration');
    assert.match(warnings[0]!, 'fork');
    assert.is(api.comments.size, 0);
  } finally {
    await close(api.server);
    await rm(dir, { recursive: true, force: true });
  }
});

test('not a pull request: nothing posted, said so', async () => {
  const infos: string[] = [];
  await commentOnPullRequest('x', {
    token: 't0ken',
    marker: 'm',
    env: { GITHUB_REPOSITORY: 'o/r' },
    log: { info: (m) => infos.push(m), warn: (m) => infos.push(m), progress: () => {} },
    toSummary: async () => {},
  });
  assert.match(infos.join('\n'), 'not a pull_request event');
});

test.run();
