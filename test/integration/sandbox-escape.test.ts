/**
 * A local pod can do no more to this machine than a Kubernetes container can to its node: real bwrap and
 * redis-server through the local platform (sandbox mode), with test/fixtures/manifests/escape-attempts, whose init
 * container tries what a hostile manifest would (attempts.sh), each attempt printing BLOCKED or ESCAPED. The
 * machine is compared before and after: loopback addresses, core_pattern, firewall rules, cgroups.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/errors.ts';
import { redisDeployment } from '../../src/manifests/deployment.ts';
import { loadManifests } from '../../src/manifests/load.ts';
import { createLocalPlatform, type LocalPlatform } from '../../src/platform/local.ts';
import {
  createLoopbackFirewall,
  newFirewallId,
  removeLoopbackFirewall,
  sweepStaleFirewalls,
} from '../../src/platform/local/loopback-firewall.ts';
import { silentLog } from '../../src/util/log.ts';
import { waitFor } from '../../src/util/wait.ts';
import { localCheck } from '../support/run-node.ts';
import { beforeAll } from '../support/setup.ts';

const FIXTURE = 'test/fixtures/manifests/escape-attempts';
const TARGET = '127.0.120.250'; // attempts.sh's address (statefulset.yaml)
const SECRET = 'rcr-escape-secret-4e1b9'; // secret.yaml's token
const ENVFROM_SECRET = 'rcr-escape-envfrom-secret-77c2'; // secret.yaml's extra
const ATTEMPTS = [
  'ip-addr-add',
  'iptables-list',
  'iptables-append',
  'iptables-legacy-append',
  'core-pattern',
  'sysrq',
  'mount-sysfs',
  'mount-tmpfs',
  'unshare-net',
  'unshare-user',
  'mknod-disk',
  'shadow',
  'raw-socket',
  'open-by-handle',
];

/**
 * What the attempts would change on this machine, read from the host: only what they name (the machine is shared
 * with other runs, whose own rules and addresses come and go): the attempts' target address on lo and in any rule,
 * core_pattern, and every run's firewall chain and cgroup.
 */
function hostState(): string {
  // Other runs (test files running beside this one, other users of the machine) make and remove their own
  // firewalls meanwhile: only this process's are compared (their ids start with its PID, loopback-firewall.ts).
  const ours = (l: string) => l.includes(TARGET) || l.includes(`RCR-LO-${OWN_ID_PREFIX}`);
  const rules = (cmd: string) => execFileSync(cmd, [], { encoding: 'utf8' }).split('\n').filter(ours);
  return [
    ...execFileSync('ip', ['-4', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).split('\n').filter(ours),
    readFileSync('/proc/sys/kernel/core_pattern', 'utf8'),
    ...rules('iptables-save'),
    ...rules('ip6tables-save'),
    ...cgroups(),
  ].join('\n');
}

/** The firewall ids of this process's runs begin with its PID in hex (newFirewallId). */
const OWN_ID_PREFIX = `${process.pid.toString(16)}-`;

/** The run cgroups of this process's runs, and of any id in `also`. */
function cgroups(also: string[] = []): string[] {
  const root = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => existsSync(join(d, 'cgroup.procs')))!;
  const mine = [OWN_ID_PREFIX, ...also].map((id) => `redis-cluster-resilience-${id}`);
  return readdirSync(root).filter((d) => mine.some((m) => d.startsWith(m)));
}

let dir = '';
let platform: LocalPlatform | undefined;
let workDir = '';
let before = '';

beforeAll(test, () => {
  dir = mkdtempSync(join(tmpdir(), 'rcr-escape-'));
  before = hostState();
});
test.after.each(async () => {
  await platform?.teardown();
  platform = undefined;
});
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function deploy(manifests: string, addressBase: string, readyTimeoutMs?: number): Promise<LocalPlatform> {
  workDir = mkdtempSync(join(dir, 'work-'));
  platform = createLocalPlatform(
    { log: silentLog, workDir },
    { addressBase, mode: 'sandbox', ...(readyTimeoutMs ? { readyTimeoutMs } : {}) },
  );
  const set = await loadManifests(manifests);
  await platform.provision();
  await platform.deploy(set, redisDeployment(set));
  return platform;
}

test('an init container tries to change the host: every attempt fails inside the pod, and the host is unchanged', async () => {
  const p = await deploy(FIXTURE, '127.0.120');
  const log = readFileSync(join(workDir, 'logs', 'escape-0.1.init-attempts.log'), 'utf8');
  for (const a of ATTEMPTS) assert.ok(log.includes(`BLOCKED ${a}\n`), `${a} not blocked:\n${log}`);
  assert.not.ok(log.includes('ESCAPED'), log);
  // Kubernetes' default set (containerd 2.x): CHOWN DAC_OVERRIDE FSETID FOWNER SETGID SETUID SETPCAP
  // NET_BIND_SERVICE KILL; no_new_privs; a seccomp filter.
  assert.match(log, /CapEff:\s+00000000000005fb\n/);
  assert.match(log, /NoNewPrivs:\s+1\n/);
  assert.match(log, /Seccomp:\s+2\n/);
  // securityContext: runAsUser/runAsGroup, capabilities drop ALL, readOnlyRootFilesystem (volumes stay writable).
  const restricted = readFileSync(join(workDir, 'logs', 'escape-0.1.init-restricted.log'), 'utf8');
  assert.equal(restricted.trim().split('\n'), [
    'uid 999 gid 998',
    'CapEff:\t0000000000000000',
    'root-read-only',
    'volume-writable',
  ]);
  assert.ok((await p.listPods()).every((pod) => pod.ready));
  await p.teardown();
  assert.fixture(hostState(), before);
});

test("a pod cannot reach the host's own services (127.0.0.1, ::1, its own network address); pods still reach each other and the host reaches them", async () => {
  let connections = 0;
  // A service on the host's own network address is reached over lo too.
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && !i.internal && i.family === 'IPv4')?.address;
  const hosts = ['127.0.0.1', '::1', ...(external ? [external] : [])];
  const servers = await Promise.all(
    hosts.map(
      (host) =>
        new Promise<net.Server>((resolve) => {
          const s = net.createServer((c) => {
            connections++;
            c.end('+PONG\r\n');
          });
          s.listen(0, host, () => resolve(s));
        }),
    ),
  );
  try {
    const p = await deploy(FIXTURE, '127.0.121');
    const [a, b] = await p.listPods();
    const ping = (host: string, port: number) =>
      p.exec(a!.name, ['sh', '-c', `redis-cli -h ${host} -p ${port} ping 2>&1; echo "exit $?"`]);
    for (const [i, host] of hosts.entries()) {
      const port = (servers[i]!.address() as net.AddressInfo).port;
      const r = await ping(host, port);
      assert.not.ok(r.output.includes('PONG'), `${host}:${port} reached from the pod: ${r.output}`);
    }
    assert.is(connections, 0);
    // The other pod, and this pod's own address.
    for (const pod of [b!, a!]) assert.ok((await ping(pod.ip, 6379)).output.startsWith('PONG'), pod.name);
    // And the host reaches every pod (their replies pass).
    for (const pod of [a!, b!]) {
      const answer = execFileSync('redis-cli', ['-h', pod.ip, '-p', '6379', 'ping'], { encoding: 'utf8' });
      assert.is(answer.trim(), 'PONG');
    }
  } finally {
    for (const s of servers) s.close();
  }
  await platform?.teardown();
  assert.fixture(hostState(), before);
});

test("Secret values reach the container's env (env and envFrom) and no process's command line", async () => {
  const p = await deploy(FIXTURE, '127.0.122');
  const cmdlines = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    });
  assert.ok(
    cmdlines.some((c) => c.includes('bwrap')),
    'the sandboxes are running',
  );
  for (const value of [SECRET, ENVFROM_SECRET])
    assert.not.ok(
      cmdlines.find((c) => c.includes(value)),
      `${value} in a command line`,
    );
  const env = await p.exec('escape-0', ['sh', '-c', 'env | sort']);
  const lines = env.output.split('\n');
  // env, envFrom with a prefix, envFrom of a Secret; optional references to what is missing set nothing; a key
  // that is no valid variable name is skipped (as the kubelet does).
  for (const l of [
    `SECRET_TOKEN=${SECRET}`,
    'CM_LEVEL=from-configmap',
    'CM_1st=not a valid env name (starts with a digit)',
    'LEVEL=from-configmap',
    `extra=${ENVFROM_SECRET}`,
    `token=${SECRET}`,
  ])
    assert.ok(lines.includes(l), `${l} in:\n${env.output}`);
  assert.not.ok(
    lines.some((l) => l.startsWith('MAYBE=') || l.startsWith('1st=')),
    env.output,
  );
});

/** The fixture with one change to statefulset.yaml, in a directory of its own. */
function variant(name: string, edit: (yaml: string) => string): string {
  const out = join(dir, name);
  cpSync(FIXTURE, out, { recursive: true });
  const file = join(out, 'statefulset.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return out;
}

test('privileged, host-namespace and host-reaching capabilities are refused, naming file and line', async () => {
  const cases: Array<[string, (y: string) => string, RegExp]> = [
    [
      'privileged',
      (y) => y.replace('          securityContext:\n', '          securityContext:\n            privileged: true\n'),
      /statefulset\.yaml:\d+: container restricted is privileged/,
    ],
    [
      'host-network',
      (y) => y.replace('      initContainers:\n', '      hostNetwork: true\n      initContainers:\n'),
      /statefulset\.yaml:20: hostNetwork: true gives the pod the host's own Network namespace/,
    ],
    [
      'host-pid',
      (y) => y.replace('      initContainers:\n', '      hostPID: true\n      initContainers:\n'),
      /statefulset\.yaml:20: hostPID: true/,
    ],
    [
      'replicas',
      (y) => y.replace('replicas: 2', 'replicas: 1000'),
      /statefulset\.yaml:9: spec\.replicas is 1000; the local platform starts at most 32 pods/,
    ],
    [
      'net-admin',
      (y) => y.replace('drop: ["ALL"]', 'add: ["NET_ADMIN"]'),
      /statefulset\.yaml:\d+: container restricted adds capability NET_ADMIN/,
    ],
  ];
  for (const [name, edit, message] of cases) {
    const err = await deploy(variant(name, edit), '127.0.123').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(err, InputError, name);
    assert.match((err as Error).message, message);
    await platform?.teardown();
  }
  assert.fixture(hostState(), before);
});

test("a probe's output is kept as the kubelet keeps it (the first 10 KiB), however much it writes", async () => {
  const p = await deploy(FIXTURE, '127.0.124');
  const r = await p.exec('escape-0', ['sh', '-c', 'head -c 200000000 /dev/zero | tr "\\0" x; echo; echo done']);
  assert.is(r.code, 0);
  assert.is(r.output.length, 10 * 1024);
  assert.ok(/^x+$/.test(r.output));
});

test("a FIFO planted where the server's logfile goes does not hang the run: the failed start is reported", async () => {
  const manifests = variant('fifo-logfile', (y) =>
    y
      .replace(`command: ["sh", "/conf/attempts.sh"]`, `command: ["sh", "-c", "mkfifo /data/redis.log"]`)
      .replace('workingDir: /conf', 'workingDir: /data')
      .replace('name: conf\n              mountPath: /conf', 'name: data\n              mountPath: /data')
      .replace(`"--appendonly", "no"]`, `"--appendonly", "no", "--logfile", "/data/redis.log"]`),
  );
  const started = Date.now();
  const err = await deploy(manifests, '127.0.125', 3000).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, Error);
  assert.match((err as Error).message, /redis\.log: .*not a regular file/, (err as Error).message);
  assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`);
});

test("a dead run's loopback firewall is removed by the next run; a live run's is kept", async () => {
  const dead = spawnSync('true').pid;
  const deadId = `${dead.toString(16)}-0badf00d`;
  const liveId = newFirewallId();
  await createLoopbackFirewall(deadId);
  await createLoopbackFirewall(liveId);
  try {
    const removed = await sweepStaleFirewalls();
    // Gone, whoever swept it: every starting run sweeps, and runs of other test files start beside this one (seen:
    // one swept it between its creation and this sweep, which then had nothing left to remove).
    assert.not.ok(removed.includes(liveId));
    assert.equal(cgroups([deadId]), [`redis-cluster-resilience-${liveId}`]);
    const chains = ['iptables', 'ip6tables'].map((t) => spawnSync(t, ['-w', '5', '-S'], { encoding: 'utf8' }).stdout);
    assert.ok(
      chains.every((c) => c.includes(`-N RCR-LO-${liveId}`)),
      'the live run keeps its chains',
    );
    assert.not.ok(
      chains.some((c) => c.includes(`RCR-LO-${deadId}`)),
      "the dead run's chains and jumps are gone",
    );
  } finally {
    await removeLoopbackFirewall(liveId);
  }
  assert.fixture(hostState(), before);
});

test('SIGINT during an init container that would run for an hour ends the run at once, with its pods', async () => {
  const manifests = variant('slow-init', (y) =>
    y.replace(`command: ["sh", "/conf/attempts.sh"]`, `command: ["sleep", "3607"]`),
  );
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli.ts',
      ...localCheck(
        manifests,
        join(dir, 'slow-init-report'),
        '--local-mode',
        'sandbox',
        '--address-base',
        '127.0.126',
        '--fail-on-lint',
        'never',
      ),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    // The init containers are running once both pods' sleep is in the process list.
    await waitFor(
      'the slow init containers to run',
      async () =>
        execFileSync('pgrep', ['-f', '^sleep 3607$'], { encoding: 'utf8' }).trim().split('\n').length >= 2
          ? { done: true, value: undefined }
          : { done: false, seen: stderr.slice(-200) },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const sent = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    // Before, the wait for each init container ignored the signal: the run ended after its ready timeout (30 s).
    assert.ok(Date.now() - sent < 10_000, `ended ${Date.now() - sent} ms after SIGINT (exit ${code})\n${stderr}`);
    assert.is(spawnSync('pgrep', ['-cf', '^sleep 3607$'], { encoding: 'utf8' }).stdout.trim(), '0'); // exit 1: none
  } finally {
    child.kill('SIGKILL');
  }
  assert.fixture(hostState(), before);
});

test.run();
