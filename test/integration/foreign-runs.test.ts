// Run state planted by someone else must never be acted on (issue 25): `cleanup` and `check` read undo journals
// from the work dir, and a journal names programs to run, routes to delete and processes to kill. Each case
// plants a run dir as an attacker would (another user's, in a world-writable root; or one with a step this
// version does not know; or a pid registry naming an unrelated process with its start time copied from /proc)
// and runs the CLI as a user does. The planted program must not run and the unrelated process must live.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runNode } from '../support/run-node.ts';
import { beforeAll } from '../support/setup.ts';

const NOBODY = 65534;
let base = '';
let evil = '';
let ran = '';
/** One unrelated process per case (a case that kills its own must not fail the next). */
const sleepers: ChildProcess[] = [];
let sleeper: ChildProcess;

beforeAll(test, () => {
  base = mkdtempSync(join(tmpdir(), 'rcr-foreign-'));
  chmodSync(base, 0o755);
  ran = join(base, 'ran');
  evil = join(base, 'evil.sh');
  writeFileSync(evil, `#!/bin/sh\necho "$*" >> ${ran}\n`, { mode: 0o755 });
});
test.before.each(() => {
  rmSync(ran, { force: true });
  sleeper = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  sleepers.push(sleeper);
});
test.after(() => {
  for (const s of sleepers) if (s.pid && alive(s.pid)) process.kill(s.pid, 'SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

const startTimeOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
};
const alive = (pid: number): boolean =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

/**
 * A run dir "left by a killed run" under `root`: its owner is gone; its journal names a kind binary (evil.sh, the
 * form earlier versions recorded), a local-processes step and `extra`; its pid registry names the sleeper with
 * the sleeper's own start time.
 */
function plantRunDir(root: string, name: string, extra: unknown[] = []): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'pids'), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(
    join(dir, 'owner.json'),
    JSON.stringify({ tool: 'redis-cluster-resilience', pid: 2 ** 22 + 1, start: '1' }),
    { mode: 0o600 },
  );
  const steps = [
    { kind: 'kind-cluster', cluster: 'victim', kindPath: evil },
    { kind: 'local-processes', workDir: dir },
    ...extra,
  ];
  writeFileSync(
    join(dir, 'undo.json'),
    JSON.stringify(steps.map((step, i) => ({ id: String(i), step, settled: false }))),
    { mode: 0o600 },
  );
  writeFileSync(join(dir, 'pids', String(sleeper.pid)), `${startTimeOf(sleeper.pid!)}\nbwrap\nbwrap\n`, {
    mode: 0o600,
  });
  return dir;
}

const chownTree = (dir: string): void => {
  for (const p of [dir, join(dir, 'pids'), join(dir, 'owner.json'), join(dir, 'undo.json')])
    chownSync(p, NOBODY, NOBODY);
  chownSync(join(dir, 'pids', String(sleeper.pid)), NOBODY, NOBODY);
};

const cli = (...args: string[]) => runNode(['--import', 'tsx', 'src/cli.ts', ...args], {}, 60_000);

function assertNothingDone(dir: string, out: string): void {
  assert.not.ok(
    existsSync(ran),
    `the planted program ran: ${existsSync(ran) ? readFileSync(ran, 'utf8') : ''}\n${out}`,
  );
  assert.ok(alive(sleeper.pid!), `the unrelated process was killed\n${out}`);
  assert.ok(existsSync(join(dir, 'undo.json')), `the planted dir is left as it was\n${out}`);
}

test("a world-writable root with another user's run dir: cleanup and check read nothing in it", async () => {
  const root = join(base, 'shared');
  mkdirSync(root);
  chmodSync(root, 0o1777); // as /tmp is
  const dir = plantRunDir(root, 'run-evil01');
  chownTree(dir);
  const cleanup = await cli('cleanup', '--work-dir', root);
  assert.is.not(cleanup.code, 0, cleanup.stderr);
  assert.match(cleanup.stderr, /others may write to it/);
  assertNothingDone(dir, cleanup.stderr);
  const check = await cli('check', '--platform', 'local', '--work-dir', root, '--report-dir', join(base, 'report'));
  assert.is.not(check.code, 0, check.stderr);
  assert.match(check.stderr, /others may write to it/);
  assertNothingDone(dir, check.stderr);
});

test("another user's run dir in a private root: left alone, and refused when named", async () => {
  const root = join(base, 'private');
  mkdirSync(root, { mode: 0o700 });
  const dir = plantRunDir(root, 'run-evil02');
  chownTree(dir);
  const all = await cli('cleanup', '--work-dir', root);
  assertNothingDone(dir, all.stderr);
  assert.match(all.stderr, /left alone .*belongs to uid 65534/);
  const named = await cli('cleanup', '--work-dir', dir);
  assert.is(named.code, 2, named.stderr);
  assert.match(named.stderr, /belongs to uid 65534/);
  assertNothingDone(dir, named.stderr);
});

test('our own run dir: a step of unknown kind is reported, not "undone"; no program path from the journal; a copied start time kills nothing', async () => {
  const root = join(base, 'own');
  mkdirSync(root, { mode: 0o700 });
  const dir = plantRunDir(root, 'run-own001', [{ kind: 'toString', note: 'from another version' }]);
  const run = await cli('cleanup', '--work-dir', root);
  assert.is(run.code, 1, run.stderr);
  assert.match(run.stderr, /unknown kind "toString"/);
  assert.not.match(run.stderr, /^(info: )?undone: (undefined|a step)/m);
  assert.match(run.stderr, /kind-cluster step with fields this version does not record/);
  assertNothingDone(dir, run.stderr);
});

test("cleanup removes no run-* dir without this tool's marker, however old", async () => {
  const root = join(base, 'unmarked');
  mkdirSync(root, { mode: 0o700 });
  const dir = join(root, 'run-notours');
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'precious.txt'), 'keep me');
  const old = new Date(Date.now() - 3_600_000);
  utimesSync(dir, old, old);
  const run = await cli('cleanup', '--work-dir', root);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stderr, /left alone .*owner\.json is missing/);
  assert.is(readFileSync(join(dir, 'precious.txt'), 'utf8'), 'keep me');
});

test.run();
