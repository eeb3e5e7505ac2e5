import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findExecutable } from './redis-binary.ts';
import { procMaskArgs, securityArgs, userPrefix, type ContainerSecurity } from './pod-security.ts';
import { seccompFilter } from './seccomp.ts';

/**
 * Pods as bubblewrap sandboxes (Debian `bubblewrap`): each container sees its own root (a directory of the pod,
 * wiped with it) with the host's /usr and a few /etc files read-only standing in for the image, its volumes at
 * their mount paths, its own /etc/hosts, hostname and PID namespace, and the host's network (the pod's own
 * loopback address). What runs inside is the container's own command: wrapper scripts, `sh -c`, init containers.
 * It runs as a Kubernetes container does by default (pod-security.ts): the runtime's default capabilities,
 * read-only /proc/sys, seccomp, no_new_privs (bwrap always sets it), its securityContext's user and root mode.
 */

/** Where the platform's own files appear inside a sandbox: the real server binary and the shims in front of it. */
export const SANDBOX_DIR = '/.rcr';
const SHIM_DIR = `${SANDBOX_DIR}/shim`;
const SERVER_DIR = `${SANDBOX_DIR}/bin`;

/** The official redis image's PATH, with the shims first so that `redis-server` and `redis-cli` find them. */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The top-level directories of a merged-/usr system: symlinks into /usr, or directories on older layouts. */
const ROOT_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
/** Directories of a container's root that hold mount points (the host's /usr, /etc files, the shims). */
const PARENT_DIRS = ['usr', 'usr/local', 'usr/local/bin', 'etc', SANDBOX_DIR.slice(1)];
/** /etc files programs need to run (users, the dynamic loader, time zone, Debian's alternatives). */
const HOST_ETC = [
  'passwd',
  'group',
  'nsswitch.conf',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'alternatives',
  'host.conf',
];

export interface SandboxBind {
  host: string;
  container: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  hostname: string;
  /** Host directory shown as the container's `/` (writable: the container's own layer). */
  rootfs: string;
  /** Volumes, the pod's /etc/hosts and the shims, each at its container path. */
  binds: SandboxBind[];
  env: Map<string, string>;
  cwd: string;
  argv: string[];
  security: ContainerSecurity;
  /** setpriv on the host under /usr (seen inside the sandbox at the same path), for runAsUser. */
  setpriv?: string;
}

/**
 * A bwrap invocation: `args` are its command line (seen by anyone in the process list: no value of the
 * container's env, and not the container's command, whose $(VAR) expansions may hold Secret values), `fds` the
 * data bwrap reads from file descriptors 3, 4, … (`--args`: the env as NUL-separated options; `--seccomp`: the
 * filter; the command as a script that execs it). The caller hands each over on a pipe (process.ts).
 */
export interface BwrapCommand {
  args: string[];
  fds: Buffer[];
}

const ENV_FD = 3;
const COMMAND_FD = 4;
const SECCOMP_FD = 5;
/** The container's command, as a one-line script `sh` sources: it execs the command, which so has the
 * container's argv and PID as on Kubernetes, while bwrap's own argv holds none of it. */
const COMMAND_FILE = `${SANDBOX_DIR}/command`;

/** bwrap, when it is installed and can create a sandbox here (user namespaces, or root). */
export async function findBwrap(): Promise<{ path: string } | { missing: string }> {
  const bwrap = findExecutable('bwrap');
  if (!bwrap) return { missing: 'bwrap is not installed (Debian/Ubuntu: apt-get install -y bubblewrap)' };
  const probe = await new Promise<string | undefined>((resolve) => {
    execFile(
      bwrap,
      ['--ro-bind', '/', '/', '--unshare-pid', '--unshare-uts', '--', 'true'],
      { timeout: 10_000 },
      (err, _out, stderr) => resolve(err ? stderr.trim() || err.message : undefined),
    );
  });
  return probe === undefined ? { path: bwrap } : { missing: `${bwrap} cannot create a sandbox here: ${probe}` };
}

/**
 * Prepares a container root: the merged-/usr links a program expects (bwrap's own --symlink refuses an existing
 * one, and a pod's root is reused by its init containers and probes).
 */
export function prepareRoot(rootfs: string): void {
  // The parents of bwrap's mount points: bwrap makes a missing one 0700, which a runAsUser container cannot enter.
  for (const d of PARENT_DIRS) {
    const at = path.join(rootfs, d);
    fs.mkdirSync(at, { recursive: true });
    fs.chmodSync(at, 0o755);
  }
  for (const d of ROOT_LINKS) {
    const target = linkTarget(`/${d}`);
    const at = path.join(rootfs, d);
    if (target !== undefined && !fs.existsSync(at)) {
      try {
        fs.symlinkSync(target, at);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }
}

function linkTarget(p: string): string | undefined {
  try {
    return fs.lstatSync(p).isSymbolicLink() ? fs.readlinkSync(p) : undefined;
  } catch {
    return undefined;
  }
}

/** The bwrap command for one container. */
export function bwrapCommand(spec: SandboxSpec): BwrapCommand {
  const seccomp = seccompFilter();
  const args = [
    '--args',
    String(ENV_FD),
    ...securityArgs(spec.security, seccomp ? SECCOMP_FD : undefined),
    '--die-with-parent',
    '--unshare-pid',
    '--unshare-uts',
    '--unshare-ipc',
    '--hostname',
    spec.hostname,
    '--bind',
    spec.rootfs,
    '/',
  ];
  // The host's programs and libraries stand in for the image; /usr/local stays the pod's own (images put their
  // binaries and configs there).
  for (const entry of fs.readdirSync('/usr'))
    if (entry !== 'local') args.push('--ro-bind', `/usr/${entry}`, `/usr/${entry}`);
  for (const d of ROOT_LINKS) {
    const p = `/${d}`;
    if (linkTarget(p) === undefined && fs.existsSync(p)) args.push('--ro-bind', p, p);
  }
  for (const f of HOST_ETC) if (fs.existsSync(`/etc/${f}`)) args.push('--ro-bind', `/etc/${f}`, `/etc/${f}`);
  args.push('--proc', '/proc', ...procMaskArgs(), '--dev', '/dev');
  // Parents before children: a volume at /data and another at /data/tmp.
  for (const b of [...spec.binds].sort((a, c) => a.container.split('/').length - c.container.split('/').length)) {
    args.push(b.readOnly ? '--ro-bind' : '--bind', b.host, b.container);
  }
  const env = new Map(spec.env);
  env.set('PATH', `${SHIM_DIR}:${spec.env.get('PATH') ?? IMAGE_PATH}`);
  if (!env.has('HOSTNAME')) env.set('HOSTNAME', spec.hostname);
  if (!env.has('HOME')) env.set('HOME', '/root');
  const envArgs = ['--clearenv'];
  for (const [k, v] of env) envArgs.push('--setenv', k, v);
  args.push('--ro-bind-data', String(COMMAND_FD), COMMAND_FILE);
  // Last of the mounts (bwrap makes their mount points in the root); volumes stay writable (the remount is not
  // recursive).
  if (spec.security.readOnlyRoot) args.push('--remount-ro', '/');
  args.push('--chdir', spec.cwd, '--', '/bin/sh', '-c', `. ${COMMAND_FILE}`);
  const command = `exec ${[...userPrefix(spec.security, spec.setpriv), ...spec.argv].map(shellQuote).join(' ')}\n`;
  return {
    args,
    fds: [nulSeparated(envArgs), Buffer.from(command, 'utf8'), ...(seccomp ? [seccomp] : [])],
  };
}

/** A word the shell reads back as exactly `s`. */
function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** bwrap's --args format: each option NUL-terminated (no environment can hold a NUL: refused, not split). */
function nulSeparated(args: string[]): Buffer {
  const bad = args.find((a) => a.includes('\0'));
  if (bad !== undefined)
    throw new Error(
      `local platform: an env name or value contains a NUL character, which no process environment can hold`,
    );
  return Buffer.from(args.map((a) => `${a}\0`).join(''), 'utf8');
}

/**
 * Host files that make the host's redis-server behave as this pod's: `redis-server` binds the pod's own address
 * (options given last win over the config file), `redis-cli` without -h talks to it (in a pod, 127.0.0.1 is the
 * pod itself; on the shared host network it is not). Returns the binds; `dir` is a host directory of the pod.
 */
export function podShims(
  dir: string,
  ip: string,
  server: { path: string; name: string; aliases?: string[] },
): SandboxBind[] {
  fs.mkdirSync(dir, { recursive: true });
  const realServer = `${SERVER_DIR}/${server.name}`;
  // Valkey's images answer to redis-server too (links to valkey-server): each name gets the same shim.
  const names = [server.name, ...(server.aliases ?? [])];
  for (const name of names) {
    fs.writeFileSync(
      path.join(dir, name),
      `#!/bin/sh\n# local platform: the host's ${server.name} on this pod's own loopback address, in the foreground\n` +
        `exec ${realServer} "$@" --bind ${ip} --bind-source-addr ${ip} --daemonize no\n`,
      { mode: 0o755 },
    );
  }
  const cliName = server.name.replace(/-server$/, '-cli');
  const binds: SandboxBind[] = [
    { host: fs.realpathSync(server.path), container: realServer, readOnly: true },
    { host: dir, container: SHIM_DIR, readOnly: true },
    // The image's own path to the server: an absolute command finds the shim too.
    ...names.map((name) => ({ host: path.join(dir, name), container: `/usr/local/bin/${name}`, readOnly: true })),
  ];
  const cli = findExecutable(cliName);
  // Its client under every name the image gives it too (Valkey's images link redis-cli to valkey-cli).
  const cliNames = [cliName, ...(server.aliases ?? []).map((n) => n.replace(/-server$/, '-cli'))];
  if (cli) {
    for (const name of cliNames)
      fs.writeFileSync(path.join(dir, name), `#!/bin/sh\nexec ${cli} -h ${ip} "$@"\n`, { mode: 0o755 });
  }
  return binds;
}

/**
 * Rewrites a hosts file in place: a bind mount shows the file's inode, so a new file (rename) would never be
 * seen by a running sandbox; truncating and writing the same inode is.
 */
export function rewriteInPlace(file: string, text: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o644);
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The container's main process (on the host) behind a bwrap started as `pid`: bwrap's own processes first
 * (the monitor, then the PID namespace's init), then the command. A graceful stop signals it: a signal to bwrap
 * kills the sandbox at once, as SIGKILL would.
 */
export function mainProcessOf(pid: number): number | undefined {
  let current = pid;
  for (let depth = 0; depth < 4; depth++) {
    const children = childrenOf(current);
    if (children.length === 0) return undefined;
    const next = children[0]!;
    if (commOf(next) !== 'bwrap') return next;
    current = next;
  }
  return undefined;
}

function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function commOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
