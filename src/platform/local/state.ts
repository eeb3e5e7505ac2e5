import path from 'node:path';
import type { ManifestSet, RedisDeployment } from '../../manifests/model.ts';
import { containedPath } from '../../util/contained-path.ts';
import type { ManifestJobStatus, PlatformContext } from '../platform.ts';
import type { AddressAllocator } from './addresses.ts';
import type { LocalJobs } from './jobs.ts';
import { emulatedNodes, type EmulatedNode } from './nodes.ts';
import type { PodConfinement } from './pod-confinement.ts';
import type { GoverningService } from './pod-dns.ts';
import { PodTable } from './pod-table.ts';
import type { Supervised } from './process.ts';

/** What createLocalPlatform is told (src/platform/local.ts). */
export interface LocalPlatformOptions {
  /** First loopback /24 to take pod addresses from, e.g. '127.0.50' (never 127.0.0.x). */
  addressBase?: string;
  /** Delay before a deleted pod (not held) comes back, like a StatefulSet recreating it. */
  restartDelayMs?: number;
  /** Server binary (name on PATH or a path) instead of the deployment's own program (redis-server, valkey-server). */
  serverBinary?: string;
  /** Bound on a pod starting and answering PING. */
  readyTimeoutMs?: number;
  /** sandbox: every pod's init containers and container run in a bubblewrap sandbox with the pod's own view
   * (wrapper scripts, init containers, probes run as written); direct: redis-server runs with a config the
   * platform writes from the manifests; auto: sandbox where bwrap works. */
  mode?: 'auto' | 'sandbox' | 'direct';
  /** Emulated Kubernetes nodes the pods are scheduled on (the workers setting, as on kind); default 3. */
  nodes?: number;
}

/**
 * What one local platform knows, shared by its parts (provision, deploy, the pods' starts, the faults'
 * wiring, teardown): the run's context, the deployment, the host tools found, and every process started.
 */
export interface LocalState {
  readonly ctx: PlatformContext;
  readonly opts: LocalPlatformOptions;
  readonly workDir: string;
  /** Every host path the platform touches, checked to lie inside workDir (symlinks resolved) before use. */
  readonly inside: (p: string, what?: string, leaf?: 'nofollow') => string;
  readonly registryDir: string;
  readonly restartDelayMs: number;
  readonly readyTimeoutMs: number;
  readonly pods: PodTable;
  readonly nodes: EmulatedNode[];
  /** What the report must say about this run's emulation. */
  readonly notes: string[];
  /** Every child not yet exited, kept apart from the pods so that nothing is forgotten, even after teardown. */
  readonly running: Set<Supervised>;
  /** Notes about the manifests, said once however many pod incarnations meet them. */
  readonly warnOnce: (message: string) => void;
  readonly infoOnce: (message: string) => void;
  redis?: RedisDeployment;
  /** The manifests `redis` was read from (the last apply's): what a rollout's apply is compared with. */
  applied?: ManifestSet;
  /** The StatefulSet's governing Service, whose DNS records every pod's /etc/hosts holds (sandbox mode). */
  service?: GoverningService;
  allocator?: AddressAllocator;
  provisioned: boolean;
  /** The deployment's server program on this host, found by deploy(). */
  binary?: string;
  setpriv?: string;
  bwrap?: string;
  /** The sandboxes' loopback firewall (sandbox mode). */
  confinement?: PodConfinement;
  mode?: 'sandbox' | 'direct';
  createdWorkDir: boolean;
  unguard?: () => void;
  /** The manifests' Jobs and bare Pods, started by deploy() (sandbox mode). */
  jobs?: LocalJobs;
  /** Direct mode: the Jobs and Pods it does not run, as their status. */
  notRun: ManifestJobStatus[];
  /** The journal entry of this platform's processes, settled once teardown leaves none running. */
  undoId?: string;
}

export function localState(ctx: PlatformContext, opts: LocalPlatformOptions): LocalState {
  const workDir = path.resolve(ctx.workDir);
  const said = new Set<string>();
  // Every incarnation of every pod would repeat the same notes about the manifests: say each once.
  const once =
    (say: (m: string) => void) =>
    (message: string): void => {
      if (!said.has(message)) {
        said.add(message);
        say(`local platform: ${message}`);
      }
    };
  return {
    ctx,
    opts,
    workDir,
    inside: (p, what, leaf) => containedPath(workDir, p, { ...(what ? { what } : {}), ...(leaf ? { leaf } : {}) }),
    registryDir: path.join(workDir, 'pids'),
    restartDelayMs: opts.restartDelayMs ?? 1000,
    readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
    pods: new PodTable(),
    nodes: emulatedNodes(opts.nodes ?? 3),
    notes: [],
    running: new Set(),
    warnOnce: once((m) => ctx.log.warn(m)),
    infoOnce: once((m) => ctx.log.info(m)),
    provisioned: false,
    createdWorkDir: false,
    notRun: [],
  };
}

export function requireDeployed(s: LocalState): RedisDeployment {
  if (!s.redis) throw new Error('local platform: nothing deployed yet');
  return s.redis;
}

/** Keeps `proc` among the running children until it exits. */
export function track(s: LocalState, proc: Supervised): void {
  s.running.add(proc);
  void proc.exited.then(() => s.running.delete(proc));
}

export const livePids = (s: LocalState): number[] => [...s.running].map((p) => p.pid);
