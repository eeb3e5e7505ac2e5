import { UnsupportedError } from '../../errors.ts';
import { commandRunner, type Runner } from '../run-command.ts';

/**
 * Freezing a pod's Redis on kind, from the node (docs/design.md: a container's PID 1 ignores SIGSTOP sent from
 * inside its own PID namespace, so `kubectl exec kill -STOP 1` freezes nothing). A kind node is a Docker container
 * named after the Kubernetes node, and the kind node image installs crictl in /usr/local/bin (kubernetes-sigs/kind
 * images/base/Dockerfile, "Installing crictl"), configured for the node's containerd. `crictl inspect` of a
 * container prints the runtime's `info.pid`, the container's main process as the node sees it (containerd's CRI
 * verbose info; kubernetes.io/docs/tasks/debug/debug-cluster/crictl), numbered in the node container's own PID
 * namespace, where containerd runs: `docker exec <node> kill -STOP <pid>` there reaches Redis itself.
 *
 * Every step is checked at run time; what is missing (no Docker engine, no crictl, a main process that is not
 * redis-server, e.g. a wrapper script that did not exec it) is an UnsupportedError naming it, so the scenario is
 * skipped with that reason.
 */

/** A docker exec into a node container gets this long. */
export const runDocker: Runner = commandRunner(15_000);

/** Where a pod's Redis runs as the node sees it. */
export interface NodeProcess {
  node: string;
  pid: number;
}

/** Servers a freeze may stop: the image's Redis or Valkey, not a shell wrapper in front of it. */
const SERVERS = new Set(['redis-server', 'valkey-server']);

const said = (r: { stdout: string; stderr: string; code: number }): string =>
  (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-2).join(' | ') || `exit code ${r.code}`;

/**
 * The host PID of a pod's Redis container: checks Docker, crictl in the node container, and that the PID is a
 * redis-server (or valkey-server). `containerId` is the pod status' `<runtime>://<id>`. `purpose` names what the
 * PID is for in the UnsupportedError ("freezing", "cutting off": kube/faults/partition.ts enters its network
 * namespace).
 */
export async function findNodeProcess(
  run: Runner,
  pod: string,
  node: string,
  containerId: string,
  purpose = 'freezing',
): Promise<NodeProcess> {
  const skip = (why: string): never => {
    throw new UnsupportedError(`${purpose} pod ${pod}: ${why}`);
  };
  const id =
    /^[a-z0-9-]+:\/\/([0-9a-f]{12,64})$/.exec(containerId)?.[1] ??
    skip(`its container ID "${containerId}" is not <runtime>://<hex id>`);
  const engine = await run('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (engine.code !== 0)
    skip(
      `no Docker engine answers here (docker info: ${said(engine)}), so the node container ${node} cannot be reached`,
    );
  const crictl = await run('docker', ['exec', node, 'crictl', '--version']);
  if (crictl.code !== 0) skip(`crictl does not run in the node container ${node} (${said(crictl)})`);
  const inspect = await run('docker', [
    'exec',
    node,
    'crictl',
    'inspect',
    '--output',
    'go-template',
    '--template',
    '{{.info.pid}}',
    id,
  ]);
  const pid = Number(inspect.stdout.trim());
  if (inspect.code !== 0 || !Number.isInteger(pid) || pid <= 1)
    skip(`crictl inspect of container ${id.slice(0, 12)} on ${node} gave no host PID (${said(inspect)})`);
  const comm = await run('docker', ['exec', node, 'cat', `/proc/${pid}/comm`]);
  const name = comm.stdout.trim();
  if (comm.code !== 0 || !SERVERS.has(name)) {
    skip(
      `the container's main process (host PID ${pid} on ${node}) is ${name ? `"${name}"` : 'unreadable'}, not redis-server: only the server itself is frozen (a wrapper must exec it)`,
    );
  }
  return { node, pid };
}

/** SIGSTOP or SIGCONT to the process from its node container. */
export async function signalNodeProcess(run: Runner, p: NodeProcess, signal: 'STOP' | 'CONT'): Promise<void> {
  const r = await run('docker', ['exec', p.node, 'kill', `-${signal}`, String(p.pid)]);
  if (r.code !== 0) throw new Error(`kill -${signal} ${p.pid} in node container ${p.node} failed: ${said(r)}`);
}
