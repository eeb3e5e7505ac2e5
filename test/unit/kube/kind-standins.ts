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
 * that API server); `delete cluster --name N` removes N and its node containers; `load docker-image I… --name N`
 * fails as kind does for an image not in the runner's Docker ("image: \"I\" not present locally",
 * pkg/cmd/kind/load/docker-image/docker-image.go) and, for an image of setLoadFails, as the node's
 * `ctr images import --all-platforms` fails under Docker's containerd image store (kubernetes-sigs/kind#3795);
 * anything else succeeds.
 *
 * docker (first on PATH): `image inspect` finds only `images`, which a pull adds to; `info --format
 * {{.DriverStatus}}` prints the image store's status as Docker does (setImageStore); other info succeeds; `exec` into a node container
 * that is not running fails as docker does. `stop` and `start` of a node container stop and start it (`inspect
 * --format {{.State.Running}}` says which; no such container is an error, as docker says it). In a running one: crictl (unless setCrictl(false)); `crictl inspect` of
 * a container prints its host PID (one per container, the first 4242 unless setNextPid, then counting up);
 * `cat /proc/<pid>/comm` prints setComm's name; `kill` reaches only a PID crictl gave on that node;
 * `nsenter -t <pid> -n iptables -w 5 <op> …` keeps the filter table of that PID's network namespace as iptables
 * does for the ops a partition uses (-S, -N, -A, -I <hook> 1 -j, -D <hook> -j, -F, -X), answering a missing chain or
 * jump with iptables' own words, or fails as nsenter does without iptables (setIptables(false)).
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
  setIptables(present: boolean): void;
  /** The iptables state of every namespace: "<node> <pid> chain <C>", "… jump <hook> <C>", "… rule <C> <args>". */
  iptables(): string[];
  setNextPid(pid: number): void;
  /** What `docker info` reports: the containerd image store (Docker 29's default) or the classic overlay2. */
  setImageStore(store: 'containerd' | 'classic'): void;
  /** Images whose `kind load docker-image` fails as under the containerd image store (kind#3795). */
  setLoadFails(images: string[]): void;
  /** No calls, clusters, containers or PIDs; the runner's images as installed; comm redis-server, crictl present, next PID 4242; classic image
   * store, every load succeeds. */
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
  "load docker-image")
    shift 2
    for i in "$@"; do
      case "$i" in --name) break ;; esac
      grep -qxF -- "$i" "$d/images" || { echo "ERROR: image: \\"$i\\" not present locally" >&2; exit 1; }
    done
    for i in "$@"; do
      case "$i" in --name) break ;; esac
      if grep -qxF -- "$i" "$d/load-fails"; then
        echo "Image: \\"$i\\" with ID \\"sha256:1827167fde90\\" not yet present on node \\"kind-control-plane\\", loading..."
        echo "ERROR: failed to load image: command \\"docker exec --privileged -i kind-control-plane ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs -\\" failed with error: exit status 1" >&2
        echo "Command Output: ctr: content digest sha256:44b2c602cb838fd6a647d6d48cf0e6f56227351b2903263d60637ebd26545a8d: not found" >&2
        exit 1
      fi
    done ;;
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
  info) [ "$3" = "{{.DriverStatus}}" ] && cat "$d/image-store" || echo 27.0.1 ;;
  pull) echo "\${3:-$2}" >> "$d/images" ;;
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
      "nsenter -t")
        [ -e "$d/no-iptables" ] && { echo "nsenter: failed to execute iptables: No such file or directory" >&2; exit 127; }
        k="$2 $5"; shift 9; op=$1; shift
        nochain() { grep -qxF "$k chain $1" "$d/iptables" || { echo "iptables: No chain/target/match by that name." >&2; exit 1; }; }
        case "$op" in
          -N) echo "$k chain $1" >> "$d/iptables" ;;
          -A) nochain "$1"; c=$1; shift; echo "$k rule $c $*" >> "$d/iptables" ;;
          -I) nochain "$4"; echo "$k jump $1 $4" >> "$d/iptables" ;;
          -D) grep -qxF "$k jump $1 $3" "$d/iptables" || { echo "iptables: Bad rule (does a matching rule exist in that chain?)." >&2; exit 1; }
              awk -v l="$k jump $1 $3" '$0 == l && !done { done = 1; next } { print }' "$d/iptables" > "$d/tmp"; mv "$d/tmp" "$d/iptables" ;;
          -F) nochain "$1"; grep -v "^$k rule $1 " "$d/iptables" > "$d/tmp"; mv "$d/tmp" "$d/iptables" ;;
          -X) nochain "$1"; grep -vxF "$k chain $1" "$d/iptables" > "$d/tmp"; mv "$d/tmp" "$d/iptables" ;;
        esac ;;
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
    setIptables: (present) =>
      present ? rmSync(path.join(state, 'no-iptables'), { force: true }) : write('no-iptables', []),
    iptables: () => read('iptables'),
    setNextPid: (pid) => write('next-pid', [String(pid)]),
    setImageStore: (store) =>
      write('image-store', [
        // What `docker info --format {{.DriverStatus}}` prints for each (docker/docs#17106; kind#3795).
        store === 'containerd'
          ? '[[driver-type io.containerd.snapshotter.v1]]'
          : '[[Backing Filesystem extfs] [Supports d_type true] [Using metacopy false] [Native Overlay Diff true] [userxattr false]]',
      ]),
    setLoadFails: (images) => write('load-fails', images),
    reset: () => {
      for (const name of ['calls', 'clusters', 'containers', 'pids', 'iptables', 'stopped']) write(name, []);
      standIns.setComm('redis-server');
      standIns.setCrictl(true);
      standIns.setIptables(true);
      standIns.setNextPid(4242);
      standIns.setImageStore('classic');
      standIns.setLoadFails([]);
      write('images', opts.images ?? []);
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
