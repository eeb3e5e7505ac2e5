// Runs every test file with uvu: the unit tests in one process, the integration files in parallel, each in its
// own process. Each integration file claims its own loopback addresses, so several run side by side; what limits
// them is the CPU: the Redis pods, the tests' clients and the checks need more than two cores give (measured in
// README "Development"), and a Redis server starved of CPU misses its own timeouts. So what computes without
// timing (with --checks the typecheck and lint, and the unit tests) runs first, in two lanes of their own, then
// the integration files, `--jobs` at a time on the whole machine: every suite on it takes the same slots
// (machineSlot), so two suites at once share the cores rather than overload them. Integration files start
// longest first, by the durations a run recorded in test/durations.json (a file not in it first of all): the run
// ends soon after its longest file. Each process's output is printed whole when it ends (never interleaved), and
// the run ends with uvu's own totals lines, summed, which .ci/run reads.
//
//   node scripts/run-tests.mjs [--jobs N] [--checks] [PATTERN]   (PATTERN: a regular expression on the file path;
//   --checks: `npm run typecheck` and `npm run lint` too, each failing the run if it fails)
//   TEST_TIMES=test/durations.json node scripts/run-tests.mjs   records this run's durations (merged into the file)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { setTimeout, clearTimeout } from 'node:timers';

const args = process.argv.slice(2);
const jobsAt = args.indexOf('--jobs');
const jobsText = jobsAt >= 0 ? args.splice(jobsAt, 2)[1] : (process.env.TEST_JOBS ?? '3');
// Checked: Number('x') is NaN, and NaN jobs would start no integration file at all and still end "passed".
if (!/^[1-9][0-9]*$/.test(jobsText ?? '')) {
  console.error(`--jobs (or TEST_JOBS) must be a whole number of at least 1, not ${JSON.stringify(jobsText ?? '')}`);
  process.exit(2);
}
const jobs = Number(jobsText);
const checksAt = args.indexOf('--checks');
const checks = checksAt >= 0 && args.splice(checksAt, 1).length > 0;
const pattern = new RegExp(args[0] ?? '\\.test\\.ts$');
/** A file still running after this is stopped and counted as failed: uvu has no per-test timeout. */
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 20 * 60_000);
const root = path.join(import.meta.dirname, '..');
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');

function testFiles(dir) {
  return readdirSync(path.join(root, dir), { recursive: true })
    .map((f) => path.join(dir, f))
    .filter((f) => /\.test\.ts$/.test(f) && pattern.test(f));
}

/**
 * Runs `command` in `root`, stopped after FILE_TIMEOUT_MS; resolves with its output, exit status and duration.
 * `niceness` lowers its CPU priority (its children inherit it).
 */
function runProcess(command, argv, label, niceness = 0) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, argv, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: a timeout ends the file's servers with it
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? (process.stdout.isTTY ? '1' : '0') },
    });
    if (niceness > 0 && child.pid !== undefined) os.setPriority(child.pid, niceness);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const note = timedOut ? `\n${label}: stopped after ${FILE_TIMEOUT_MS / 60_000} min (it hung)\n` : '';
      resolve({ label, out: out + note, code, signal, timedOut, ms: Date.now() - started });
    });
  });
}

/** Runs uvu on `dir` with a file-name pattern; resolves with its output, totals and exit status. */
async function runUvu(dir, filePattern, label, niceness = 0) {
  const r = await runProcess(process.execPath, ['--import', 'tsx', uvu, dir, filePattern], label, niceness);
  const plain = stripVTControlCharacters(r.out);
  const num = (name) => Number(new RegExp(`^ *${name}: *(\\d+)`, 'm').exec(plain)?.[1] ?? NaN);
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped');
  const note =
    Number.isNaN(total) && !r.timedOut
      ? `\n${label}: printed no totals (exit ${r.code ?? r.signal}): it failed to load or a hook threw\n`
      : '';
  return {
    label,
    out: r.out + note,
    // A file that printed no totals or exited non-zero counts as one failed test.
    total: Number.isNaN(total) ? 1 : total,
    passed: Number.isNaN(passed) ? 0 : passed,
    skipped: Number.isNaN(skipped) ? 0 : skipped,
    failedRun: r.code !== 0 || r.timedOut || Number.isNaN(total),
    ms: r.ms,
  };
}

/** Runs the package script `name` (typecheck, lint): not a test, so it adds nothing to the totals, but it fails the run. */
async function runCheck(name) {
  const r = await runProcess('npm', ['run', name], `npm run ${name}`, COMPUTING_NICENESS);
  const note = r.code === 0 ? '' : `\nnpm run ${name} failed (exit ${r.code ?? r.signal})\n`;
  return { label: r.label, out: r.out + note, total: 0, passed: 0, skipped: 0, failedRun: r.code !== 0, ms: r.ms };
}

const started = Date.now();
const results = [];
const print = (r) => {
  process.stdout.write(r.out.endsWith('\n') ? r.out : `${r.out}\n`);
  results.push(r);
};

/** How long a file waits for a slot: a whole suite's integration files, each bounded by FILE_TIMEOUT_MS, and more. */
const SLOT_WAIT_MS = Number(process.env.TEST_SLOT_TIMEOUT_MS ?? 60 * 60_000);

/**
 * One of `slots` places for an integration file on this machine, waited for (polled; undefined after
 * SLOT_WAIT_MS): an abstract Unix socket listened on by name (Linux), which the kernel gives to one process at a
 * time and frees when it exits, however it exits. The integration files of one suite already use the two cores (the Redis pods most of it: README
 * "Development"); a second suite's beside them starved the Redis servers into missing their own timeouts (a
 * failover during a rollout, measured), so suites queue for the same slots. Elsewhere: no shared slots.
 */
async function machineSlot(slots) {
  if (process.platform !== 'linux') return { close: () => {} };
  for (const until = Date.now() + SLOT_WAIT_MS; Date.now() < until;) {
    for (let k = 0; k < slots; k++) {
      const server = net.createServer();
      const taken = await new Promise((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(`\0redis-cluster-resilience-test-slot-${k}`, () => resolve(true));
      });
      if (taken) return { close: () => server.close() };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return undefined;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Seconds per test file (the unit tests: their directory) as a run measured them. */
const readTimes = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {});
const recorded = readTimes(path.join(root, 'test', 'durations.json'));

/** The machine's CPU time so far, all of it and the busy part (Linux /proc/stat: not idle, not waiting on I/O). */
function cpuTimes() {
  if (!existsSync('/proc/stat')) return undefined;
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { total, busy: total - ticks[3] - ticks[4] };
}
const busyBefore = cpuTimes();

// First what computes without timing, in two lanes: the unit tests, and with `--checks` (npm test) the typecheck
// then the lint (type-aware: as long as the unit tests). Then the integration files. Run beside them, these
// starved the Redis servers of CPU on 2 cores and saved no time (measured: 625 s against 572 s). At the lowest
// priority: another suite's integration files may be running.
const COMPUTING_NICENESS = 19;
await Promise.all([
  (async () => {
    // uvu matches its pattern against paths below test/unit, not below the project as PATTERN is: it is given
    // the files PATTERN chose, by name.
    const unit = testFiles('test/unit').map((f) => escape(path.relative('test/unit', f)));
    if (unit.length > 0) print(await runUvu('test/unit', `^(${unit.join('|')})$`, 'test/unit', COMPUTING_NICENESS));
  })(),
  (async () => {
    if (checks) print(await runCheck('typecheck'));
    if (checks) print(await runCheck('lint'));
  })(),
]);

// Integration files, longest first, `jobs` at a time on the whole machine: each runs in a slot (machineSlot)
// that every suite on the machine shares, so two suites at once share the CPUs instead of overloading them.
const queue = testFiles('test/integration').sort(
  (a, b) => (recorded[b] ?? Infinity) - (recorded[a] ?? Infinity) || a.localeCompare(b),
);
let waitedForSlots = 0;
await Promise.all([
  ...Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const asked = Date.now();
      const slot = await machineSlot(jobs);
      waitedForSlots += Date.now() - asked;
      if (!slot) {
        const out = `${file}: not run: no integration slot of ${jobs} was free for ${Math.round(SLOT_WAIT_MS / 1000)} s (other runs of scripts/run-tests.mjs on this machine held them all)\n`;
        print({ label: file, out, total: 1, passed: 0, skipped: 0, failedRun: true, ms: Date.now() - asked });
        continue;
      }
      try {
        print(await runUvu('test/integration', `^${escape(path.basename(file))}$`, file));
      } finally {
        slot.close();
      }
    }
  }),
]);

if (process.env.TEST_TIMES) {
  const measured = Object.fromEntries(results.map((r) => [r.label, Math.round(r.ms / 1000)]));
  const times = Object.entries({ ...readTimes(process.env.TEST_TIMES), ...measured }).sort(([, a], [, b]) => b - a);
  writeFileSync(process.env.TEST_TIMES, `${JSON.stringify(Object.fromEntries(times), null, 2)}\n`);
}

const sum = (k) => results.reduce((n, r) => n + r[k], 0);
const slowest = [...results]
  .sort((a, b) => b.ms - a.ms)
  .slice(0, 5)
  .map((r) => `${r.label} ${(r.ms / 1000).toFixed(0)} s`);
// How busy the CPUs were: the suite is CPU-bound on two cores (README "Development"), and a run that shared the
// machine shows it here.
const busyAfter = cpuTimes();
const busy =
  busyBefore && busyAfter
    ? `, CPUs busy ${Math.round((100 * (busyAfter.busy - busyBefore.busy)) / (busyAfter.total - busyBefore.total))}% of the run`
    : '';
const waited =
  waitedForSlots > 1000
    ? `; its files waited ${Math.round(waitedForSlots / 1000)} s in all for slots another suite held`
    : '';
console.log(
  `\nslowest files: ${slowest.join(', ')} (${jobs} integration files at a time, ${os.cpus().length} cores${busy}${waited})`,
);
console.log(`\n  Total:     ${sum('total')}\n  Passed:    ${sum('passed')}\n  Skipped:   ${sum('skipped')}`);
console.log(`  Duration:  ${((Date.now() - started) / 1000).toFixed(2)}s\n`);
process.exitCode = results.some((r) => r.failedRun) || sum('passed') < sum('total') ? 1 : 0;
