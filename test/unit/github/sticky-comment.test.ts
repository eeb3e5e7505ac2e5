import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postStickyComment, pullRequestNumber } from '../../../src/github/sticky-comment.ts';
import { commentMarker } from '../../../src/report/pr-comment.ts';
import { ACTIONS_BOT, startGitHubStandIn } from '../../support/github-api.ts';

const TOKEN = 'ghs_standin_token';
const marker = commentMarker('e2e');

test('first push creates the comment, the next updates the same one in place (found by its marker)', async () => {
  const gh = await startGitHubStandIn({ token: TOKEN });
  try {
    const target = { apiUrl: gh.url, repository: 'o/r', prNumber: 7, token: TOKEN };
    gh.comments.push(
      { id: 1, body: 'a reviewer writes', issue: 7 },
      { id: 2, body: commentMarker('other-job'), issue: 7 },
    );
    const first = await postStickyComment(target, marker, `${marker}\nrun 1`);
    assert.equal(first, { posted: 'created', url: 'https://github.example/o/r/pull/1#issuecomment-1000' });
    const second = await postStickyComment(target, marker, `${marker}\nrun 2`);
    assert.is(second.posted, 'updated');
    assert.equal(
      gh.comments.map((c) => c.body),
      ['a reviewer writes', commentMarker('other-job'), `${marker}\nrun 2`],
      "one comment for this job, the other job's and the reviewer's untouched",
    );
  } finally {
    await gh.close();
  }
});

test("a reviewer's comment that quotes the marker is not taken for this job's comment (and not overwritten)", async () => {
  const gh = await startGitHubStandIn({ token: TOKEN });
  try {
    const quoting = `The bot finds its comment by \`${marker}\`; see the action's README.`;
    gh.comments.push({ id: 1, body: quoting, issue: 7 });
    const r = await postStickyComment(
      { apiUrl: gh.url, repository: 'o/r', prNumber: 7, token: TOKEN },
      marker,
      `${marker}\nrun 1`,
    );
    assert.is(r.posted, 'created');
    assert.equal(
      gh.comments.map((c) => c.body),
      [quoting, `${marker}\nrun 1`],
    );
  } finally {
    await gh.close();
  }
});

test("a comment someone else opened with the marker is not this job's: a new one is made, theirs untouched", async () => {
  const gh = await startGitHubStandIn({ token: TOKEN });
  try {
    const planted = `${marker}\nplanted by someone else`;
    gh.comments.push({ id: 1, body: planted, issue: 7, user: { login: 'mallory', type: 'User' } });
    const target = { apiUrl: gh.url, repository: 'o/r', prNumber: 7, token: TOKEN };
    assert.is((await postStickyComment(target, marker, `${marker}\nrun 1`)).posted, 'created');
    assert.is((await postStickyComment(target, marker, `${marker}\nrun 2`)).posted, 'updated');
    assert.equal(
      gh.comments.map((c) => [c.body, c.user?.login]),
      [
        [planted, 'mallory'],
        [`${marker}\nrun 2`, ACTIONS_BOT.login],
      ],
    );
  } finally {
    await gh.close();
  }
});

test("a personal token (GET /user answers): its own user's comment is updated, a bot's with the marker is not", async () => {
  const gh = await startGitHubStandIn({ token: TOKEN, identity: { login: 'ci-user', type: 'User' } });
  try {
    gh.comments.push(
      { id: 1, body: `${marker}\nan app's`, issue: 7, user: { login: 'other-app[bot]', type: 'Bot' } },
      { id: 2, body: `${marker}\nold`, issue: 7, user: { login: 'ci-user', type: 'User' } },
    );
    const r = await postStickyComment(
      { apiUrl: gh.url, repository: 'o/r', prNumber: 7, token: TOKEN },
      marker,
      `${marker}\nnew`,
    );
    assert.is(r.posted, 'updated');
    assert.equal(
      gh.comments.map((c) => c.body),
      [`${marker}\nan app's`, `${marker}\nnew`],
    );
  } finally {
    await gh.close();
  }
});

test("the marker on the second page of a PR's comments is found (100 a page)", async () => {
  const gh = await startGitHubStandIn({ token: TOKEN });
  try {
    for (let i = 0; i < 130; i++) gh.comments.push({ id: i + 1, body: `c${i}`, issue: 3 });
    gh.comments.push({ id: 500, body: `${marker}\nold`, issue: 3 });
    const r = await postStickyComment(
      { apiUrl: gh.url, repository: 'o/r', prNumber: 3, token: TOKEN },
      marker,
      `${marker}\nnew`,
    );
    assert.is(r.posted, 'updated');
    assert.ok(gh.requests.includes('GET /repos/o/r/issues/3/comments?per_page=100&page=2'));
    assert.is(gh.comments.find((c) => c.id === 500)!.body, `${marker}\nnew`);
  } finally {
    await gh.close();
  }
});

test("a fork's read-only token: not posted, with the reason (403), and nothing thrown", async () => {
  const gh = await startGitHubStandIn({ token: TOKEN, readOnly: true });
  try {
    const r = await postStickyComment({ apiUrl: gh.url, repository: 'o/r', prNumber: 7, token: TOKEN }, marker, 'x');
    assert.is(r.posted, false);
    assert.match(r.posted === false ? r.reason : '', /403 Resource not accessible by integration.*fork.*job summary/);
    assert.equal(gh.comments, []);
  } finally {
    await gh.close();
  }
});

test('an API that is not there is a reason, not a crash', async () => {
  const r = await postStickyComment(
    { apiUrl: 'http://127.0.0.1:1', repository: 'o/r', prNumber: 1, token: 't' },
    marker,
    'x',
  );
  assert.is(r.posted, false);
});

test('the pull request number comes from the event payload; other events have none', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rcr-event-'));
  try {
    const pr = path.join(dir, 'pr.json');
    writeFileSync(pr, JSON.stringify({ action: 'synchronize', pull_request: { number: 42 } }));
    assert.is(await pullRequestNumber({ GITHUB_EVENT_PATH: pr }), 42);
    const push = path.join(dir, 'push.json');
    writeFileSync(push, JSON.stringify({ ref: 'refs/heads/main' }));
    assert.is(await pullRequestNumber({ GITHUB_EVENT_PATH: push }), undefined);
    assert.is(await pullRequestNumber({}), undefined);
    assert.is(await pullRequestNumber({ GITHUB_EVENT_PATH: path.join(dir, 'missing.json') }), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
