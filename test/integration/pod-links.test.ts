// A pod's volume is the pod's: what it plants there must not turn the tool's reads against the host (issue 25).
// The manifests' init container puts a link or a FIFO where redis.conf's `logfile` points; redis-server then
// fails or blocks, and the tool reads that logfile for the error's log tail and the evidence. A link to a host
// file must not bring the file's content into any report file or the terminal; a FIFO must not hang the run, and
// SIGINT must still end it. Run as a user runs the tool (the CLI as a child process, on real redis-server).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../../src/util/wait.ts';
import { localCheck } from '../support/run-node.ts';
import { beforeAll } from '../support/setup.ts';

let base = '';
beforeAll(test, () => {
  base = mkdtempSync(join(tmpdir(), 'rcr-pod-links-'));
});
test.after(() => rmSync(base, { recursive: true, force: true }));

/**
 * The seed topology with `logfile` on the data volume and an init container that runs `plant` there first;
 * `before` goes into redis.conf ahead of the logfile line.
 */
function manifests(dir: string, plant: string, before = '', logfile = '/var/lib/redis/redis.log'): string {
  const out = join(dir, 'manifests');
  // Copied as files: the fixture's files are links to manifests/, which the edits below must not reach (cpSync
  // keeps links below the top level even with dereference).
  const fixture = 'test/fixtures/manifests/seed-topology';
  mkdirSync(out);
  for (const name of readdirSync(fixture)) writeFileSync(join(out, name), readFileSync(join(fixture, name)));
  const conf = join(out, 'configmap.yaml');
  writeFileSync(
    conf,
    readFileSync(conf, 'utf8').replace('    appendonly yes\n', `    appendonly yes\n${before}    logfile ${logfile}\n`),
  );
  const sts = join(out, 'statefulset.yaml');
  const init = [
    '      initContainers:',
    '        - name: plant',
    '          image: busybox:1.36',
    `          command: ["sh", "-c", ${JSON.stringify(plant)}]`,
    '          volumeMounts:',
    '            - name: redis-data',
    '              mountPath: /var/lib/redis',
    '      containers:',
  ].join('\n');
  const text = readFileSync(sts, 'utf8');
  assert.ok(text.includes('      containers:\n'));
  writeFileSync(sts, text.replace('      containers:', init));
  return out;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** The CLI's check on `m`, its reports into `report`; SIGINT once the output matches `interrupt`. Bounded. */
async function check(dir: string, m: string, report: string, interrupt?: RegExp): Promise<Run> {
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', ...localCheck(m, report, '--fail-on-lint', 'never')],
    {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let sent = false;
  const take = (d: Buffer) => {
    output += d.toString();
    if (interrupt && !sent && interrupt.test(output)) {
      sent = true;
      setTimeout(() => child.kill('SIGINT'), 1000); // the pods are starting by then
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  try {
    return await waitFor(
      'the check to end',
      async () =>
        child.exitCode !== null || child.signalCode !== null
          ? { done: true, value: { code: child.exitCode, signal: child.signalCode, output } }
          : { done: false, seen: output.slice(-400) },
      { timeoutMs: 150_000, intervalMs: 200 },
    );
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Every file under `dir`, as text. */
function filesUnder(dir: string): Array<[string, string]> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => [join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name), 'utf8')]);
}

for (const c of [
  {
    name: 'the logfile linked to a host file',
    logfile: '/var/lib/redis/redis.log',
    link: (host: string) => `ln -sf ${host}/redis.log /var/lib/redis/redis.log`,
  },
  // A link on the way, not at the end: O_NOFOLLOW on the file alone would still follow it.
  {
    name: "the logfile's directory linked to a host directory",
    logfile: '/var/lib/redis/logs/redis.log',
    link: (host: string) => `ln -sfn ${host} /var/lib/redis/logs`,
  },
]) {
  test(`${c.name}: the host file's content is in no report file and not on the terminal`, async () => {
    const dir = join(base, c.logfile.includes('logs') ? 'dir-link' : 'link');
    const host = join(dir, 'host');
    mkdirSync(host, { recursive: true });
    const secret = join(host, 'redis.log');
    const marker = `HOST-SECRET-${process.pid}-${Date.now()}`;
    writeFileSync(secret, `${marker}\n`);
    const report = join(dir, 'report');
    const run = await check(dir, manifests(dir, c.link(host), '', c.logfile), report);
    assert.ok(run.code !== null && run.code !== 0, `the run fails (its pods cannot log): ${run.output.slice(-2000)}`);
    assert.ok(existsSync(join(report, 'report.json')), 'a report is written');
    assert.not.ok(run.output.includes(marker), `the host file is on the terminal:\n${run.output}`);
    for (const [file, text] of filesUnder(report)) assert.not.ok(text.includes(marker), `the host file is in ${file}`);
    assert.is(readFileSync(secret, 'utf8'), `${marker}\n`);
  });
}

test('a logfile the pod replaces by a FIFO: the run ends by itself with a report, and a SIGINT during it ends it too', async () => {
  const dir = join(base, 'fifo');
  mkdirSync(dir);
  // redis-server stops at the bad directive before it opens its logfile: the FIFO then has no writer, and a
  // plain read of it (the log tail of the failed start) would wait forever.
  const m = manifests(
    dir,
    'rm -f /var/lib/redis/redis.log; mkfifo /var/lib/redis/redis.log',
    '    no-such-directive yes\n',
  );
  const ended = await check(dir, m, join(dir, 'report'));
  assert.ok(ended.code !== null && ended.code !== 0, `the run ends with an error: ${ended.output.slice(-2000)}`);
  assert.ok(existsSync(join(dir, 'report', 'report.json')), 'a report is written');
  const interrupted = await check(dir, m, join(dir, 'report-int'), /Deploying StatefulSet/);
  // Cancelled (130), or ended by its failed deploy just before the signal came (then SIGINT may still find the
  // process on its way out): either way ended, not blocked on the FIFO with the signal ignored.
  assert.ok(
    interrupted.code === 130 || interrupted.code === 1 || interrupted.signal === 'SIGINT',
    `SIGINT ends the run: ${interrupted.code ?? interrupted.signal} ${interrupted.output.slice(-2000)}`,
  );
  assert.ok(existsSync(join(dir, 'report-int', 'report.json')), 'a report is written');
});

test.run();
