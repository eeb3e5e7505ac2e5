// comment: true in the action, against a loopback stand-in of GitHub's REST API (test/support/github-api.ts), on
// the local platform with the default manifests (real redis-server): the comment is created on the pull request
// with the report's text and the token is in no output; with a fork's read-only token the run still passes, the
// log says why, and the comment's text goes into the job summary.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startGitHubStandIn } from '../support/github-api.ts';
import { runNode } from '../support/run-node.ts';
import { beforeAll } from '../support/setup.ts';

const TOKEN = 'ghs_rcrTestToken0c7e';
let dir = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-action-comment-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function actionRun(name: string, apiUrl: string) {
  const event = join(dir, `${name}-event.json`);
  await writeFile(event, JSON.stringify({ action: 'synchronize', pull_request: { number: 12 } }));
  const summary = join(dir, `${name}-summary.md`);
  const output = join(dir, `${name}-output`);
  await writeFile(output, '');
  await writeFile(summary, ''); // the runner creates it; core.summary appends to it
  const r = await runNode(['--import', 'tsx', 'src/main.ts'], {
    INPUT_PLATFORM: 'local',
    'INPUT_REPORT-DIR': join(dir, name),
    'INPUT_WRITE-RATE': '0',
    INPUT_COMMENT: 'true',
    'INPUT_GITHUB-TOKEN': TOKEN,
    GITHUB_API_URL: apiUrl,
    GITHUB_REPOSITORY: 'o/r',
    GITHUB_EVENT_PATH: event,
    GITHUB_JOB: 'resilience',
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
  });
  return { ...r, summary: await readFile(summary, 'utf8'), output: await readFile(output, 'utf8') };
}

test('comment: true creates the comment on the pull request with the report; the token is in no output', async () => {
  const gh = await startGitHubStandIn({ token: TOKEN });
  try {
    const r = await actionRun('writable', gh.url);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.is(gh.comments.length, 1);
    const body = gh.comments[0]!.body;
    assert.ok(body.startsWith('<!-- redis-cluster-resilience:resilience -->\n### Redis Cluster resilience: PASS'));
    assert.is(body, await readFile(join(dir, 'writable', 'pr-comment.md'), 'utf8'));
    assert.match(r.stdout, /comment: created https:\/\/github.example/);
    assert.match(r.output, /comment-path<<\S+\n.*pr-comment\.md\n/);
    // `::add-mask::<token>` is how the step asks the runner to mask it: the runner never shows that line.
    assert.ok(r.stdout.includes(`::add-mask::${TOKEN}`), 'the token is masked');
    const places = {
      stdout: r.stdout.replaceAll(`::add-mask::${TOKEN}`, ''),
      stderr: r.stderr,
      summary: r.summary,
      report: await readFile(join(dir, 'writable', 'report.json'), 'utf8'),
    };
    for (const [where, text] of Object.entries(places))
      assert.not.ok(
        text.includes(TOKEN),
        `the token leaked into ${where}: ${text.slice(Math.max(0, text.indexOf(TOKEN) - 200), text.indexOf(TOKEN) + 50)}`,
      );
  } finally {
    await gh.close();
  }
});

test("a fork's read-only token: still PASS, a warning says why, the comment's text is in the job summary", async () => {
  const gh = await startGitHubStandIn({ token: TOKEN, readOnly: true });
  try {
    const r = await actionRun('fork', gh.url);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.equal(gh.comments, []);
    assert.match(r.stdout, /::warning::comment: the token may not comment on this pull request \(POST .* 403 /);
    assert.match(r.summary, /### Pull-request comment \(not posted: the token may not comment/);
    assert.match(r.summary, /### Redis Cluster resilience: PASS/);
  } finally {
    await gh.close();
  }
});

test.run();
