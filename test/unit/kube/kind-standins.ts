import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULTS } from '../../../src/config.ts';
import { kindArch } from '../../../src/platform/kind-install.ts';

/**
 * Stand-ins for the `kind` and `docker` executables (there is no Docker on this machine), sharing one record of
 * their calls ("kind <args>", "docker <args>") and of what they hold.
 *
 * kind (in the tool cache, where installKind finds DEFAULTS.kindVersion): `get clusters` lists its clusters;
 * `create cluster --name N --config F … --kubeconfig K` adds N, starts one node container per node of F, named as
 * kind names them (N-control-plane, N-worker, N-worker2, …: MakeNodeNamer in kind's
 * pkg/cluster/internal/providers/common/namer.go), and writes K (a copy of `kubeconfig`: the cluster "created" is
 * that API server); `delete cluster --name N` removes N and its node containers; anything else succeeds.
 *
 * docker (first on PATH): `image inspect` finds only `images`; pull and info succeed; `exec` into a node container
 * that is not running fails as docker does. `stop` and `start` of a node container stop and start it (`inspect
 * --format {{.State.Running}}` says which; no such container is an error, as docker says it). In a running one: crictl (unless setCrictl(false)); `crictl inspect` of
 * a container prints its host PID (one per container, the first 4242 unless setNextPid, then counting up);
 * `cat /proc/<pid>/comm` prints setComm's name; `kill` reaches only a PID crictl gave on that node.
 */
export interface KindStandIns {
  /** The stand-in kind's path. */
  kind: string;
  /** A scratch directory of the test's own, removed by restore(). */
  dir: string;
  calls(): string[];
  clearCalls(): void;
  clusters(): string[];
  setClusters(names: string[]): void;
  /** The node containers (running or stopped). */
  containers(): string[];
  /** The node containers stopped by `docker stop`. */
  stoppedContainers(): string[];
  /** The host PID crictl gave for a container (its ID without `<runtime>://`) on a node, if it was asked. */
  pidOf(node: string, containerId: string): number | undefined;
  /** "<pid> on <node>" for each process whose last signal (docker exec <node> kill) was SIGSTOP. */
  stopped(): string[];
  setComm(name: string): void;
  setCrictl(present: boolean): void;
  setNextPid(pid: number): void;
  /** No calls, clusters, containers or PIDs; comm redis-server, crictl present, next PID 4242. */
  reset(): void;
  /** Puts PATH and RUNNER_TOOL_CACHE back and removes everything. */
  restore(): void;
}

export function installKindStandIns(opts: { kubeconfig?: string; images?: string[] } = {}): KindStandIns {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kind-standins-'));
  const state = path.join(dir, 'state');
  const toolDir = path.join(dir, 'tools', 'kind', DEFAULTS.kindVersion.replace(/^v/, ''), kindArch());
  const kind = path.join(toolDir, 'kind');
  mkdirSync(toolDir, { recursive: true });
  mkdirSync(path.join(dir, 'bin'));
  mkdirSync(state);
  writeFileSync(`${toolDir}.complete`, '');
  writeFileSync(path.join(state, 'images'), (opts.images ?? []).map((i) => `${i}\n`).join(''));
  const writeScript = (file: string, body: string) => {
    writeFileSync(file, `#!/bin/sh\nd="${state}"\n${body}`);
    chmodSync(file, 0o755);
  };
  // containers: "<cluster> <container>" a line; pids: "<node> <container id> <pid>" a line.
  writeScript(
    kind,
    `echo "kind $*" >> "$d/calls"
case "$1 $2" in
  "get clusters") cat "$d/clusters" ;;
  "create cluster")
    echo "$4" >> "$d/clusters"
    for role in $(sed -n 's/^ *- role: *//p' "$6" 2>/dev/null); do
      n=$(grep -c "^$4 $4-$role[0-9]*\\$" "$d/containers")
      [ "$n" = 0 ] && echo "$4 $4-$role" >> "$d/containers" || echo "$4 $4-$role$((n + 1))" >> "$d/containers"
    done
    ${opts.kubeconfig ? `cp "${opts.kubeconfig}" "\${10}"` : `echo "apiVersion: v1" > "\${10}"`} ;;
  "delete cluster")
    grep -vx "$4" "$d/clusters" > "$d/tmp"; mv "$d/tmp" "$d/clusters"
    grep -v "^$4 " "$d/containers" > "$d/tmp"; mv "$d/tmp" "$d/containers" ;;
esac
exit 0
`,
  );
  writeScript(
    path.join(dir, 'bin', 'docker'),
    `echo "docker $*" >> "$d/calls"
case "$1" in
  info) echo 27.0.1 ;;
  image) grep -qxF -- "$5" "$d/images" || { echo "Error response from daemon: No such image: $5" >&2; exit 1; } ;;
  stop|start|inspect)
    eval "c=\\\${$#}"
    grep -q " $c\\$" "$d/containers" || { echo "Error response from daemon: No such container: $c" >&2; exit 1; }
    case "$1" in
      stop) grep -qx "$c" "$d/stopped" || echo "$c" >> "$d/stopped"; echo "$c" ;;
      start) grep -vx "$c" "$d/stopped" > "$d/tmp"; mv "$d/tmp" "$d/stopped"; echo "$c" ;;
      inspect) grep -qx "$c" "$d/stopped" && echo false || echo true ;;
    esac ;;
  exec)
    grep -q " $2\\$" "$d/containers" || { echo "Error response from daemon: No such container: $2" >&2; exit 1; }
    grep -qx "$2" "$d/stopped" && { echo "Error response from daemon: container $2 is not running" >&2; exit 1; }
    case "$3 $4" in
      "crictl "*) [ -e "$d/no-crictl" ] && { echo 'OCI runtime exec failed: exec: "crictl": executable file not found in $PATH' >&2; exit 127; } ;;
    esac
    case "$3 $4" in
      "crictl --version") echo "crictl version v1.33.0" ;;
      "crictl inspect")
        pid=$(sed -n "s/^$2 $9 //p" "$d/pids")
        if [ -z "$pid" ]; then pid=$(cat "$d/next-pid"); echo "$2 $9 $pid" >> "$d/pids"; echo $((pid + 1)) > "$d/next-pid"; fi
        echo "$pid" ;;
      "cat /proc/"*) cat "$d/comm" ;;
      "kill "*) grep -q "^$2 .* $5\\$" "$d/pids" || { echo "sh: kill: ($5) - No such process" >&2; exit 1; } ;;
    esac ;;
esac
exit 0
`,
  );
  const read = (name: string) => readFileSync(path.join(state, name), 'utf8').split('\n').filter(Boolean);
  const write = (name: string, lines: string[]) =>
    writeFileSync(path.join(state, name), lines.map((l) => `${l}\n`).join(''));
  const saved = { path: process.env.PATH, cache: process.env.RUNNER_TOOL_CACHE };
  process.env.PATH = `${path.join(dir, 'bin')}:${process.env.PATH}`;
  process.env.RUNNER_TOOL_CACHE = path.join(dir, 'tools');
  const standIns: KindStandIns = {
    kind,
    dir,
    calls: () => read('calls'),
    clearCalls: () => write('calls', []),
    clusters: () => read('clusters'),
    setClusters: (names) => write('clusters', names),
    containers: () => read('containers').map((l) => l.split(' ')[1]!),
    stoppedContainers: () => read('stopped'),
    pidOf: (node, id) => {
      const line = read('pids').find((l) => l.startsWith(`${node} ${id} `));
      return line === undefined ? undefined : Number(line.split(' ')[2]);
    },
    stopped: () => {
      const last = new Map<string, string>();
      for (const call of read('calls')) {
        const m = /^docker exec (\S+) kill -(STOP|CONT) (\d+)$/.exec(call);
        if (m) last.set(`${m[3]} on ${m[1]}`, m[2]!);
      }
      return [...last].filter(([, signal]) => signal === 'STOP').map(([p]) => p);
    },
    setComm: (name) => write('comm', [name]),
    setCrictl: (present) => (present ? rmSync(path.join(state, 'no-crictl'), { force: true }) : write('no-crictl', [])),
    setNextPid: (pid) => write('next-pid', [String(pid)]),
    reset: () => {
      for (const name of ['calls', 'clusters', 'containers', 'pids', 'stopped']) write(name, []);
      standIns.setComm('redis-server');
      standIns.setCrictl(true);
      standIns.setNextPid(4242);
    },
    restore: () => {
      process.env.PATH = saved.path;
      if (saved.cache === undefined) delete process.env.RUNNER_TOOL_CACHE;
      else process.env.RUNNER_TOOL_CACHE = saved.cache;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  standIns.reset();
  return standIns;
}
