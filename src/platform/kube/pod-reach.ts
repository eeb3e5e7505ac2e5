import type { V1Pod } from '@kubernetes/client-node';
import type { Log } from '../../util/log.ts';
import type { HostPort, PodInfo, RedisAuth, Target } from '../platform.ts';
import type { KubeClients } from './api.ts';
import { PodCache } from './pod-cache.ts';
import { statefulSetPods, type StatefulSetTarget } from './pods.ts';
import { PodPortForwards } from './port-forward.ts';
import { preflightReach, type ReachMode } from './preflight.ts';

/** What reaching the pods takes from the platform (read when used: after deploy()). */
export interface PodReachDeps {
  clients(): KubeClients;
  statefulSet(): StatefulSetTarget;
  /** The Redis port, once the deployment is known. */
  port(): number | undefined;
  /** The pod, or undefined when there is none by that name. */
  readPod(name: string): Promise<V1Pod | undefined>;
  log: Log;
  auth?: RedisAuth;
}

/**
 * How this process reaches the pods: their IPs through the routes (kind), or per-pod port-forwards through the
 * API server, which follow the pods by a watched cache (pod-cache.ts) so that a connection asks no API call.
 */
export class PodReach {
  private forwards?: PodPortForwards;
  private cache?: PodCache;
  private cacheStarted?: Promise<PodCache>;

  constructor(
    /** kind starts routed and falls back to port-forward when the preflight cannot reach a pod IP. */
    public mode: ReachMode,
    private readonly deps: PodReachDeps,
  ) {}

  /** At the end of deploy(): settles the mode (preflight.ts). */
  async preflight(port: number, listPods: () => Promise<PodInfo[]>): Promise<void> {
    this.mode = await preflightReach(this.mode, port, listPods, this.deps.log);
  }

  async reach(announced: HostPort): Promise<Target> {
    const auth = this.deps.auth ? { auth: this.deps.auth } : {};
    if (this.mode === 'routed') return { ...announced, ...auth }; // pod CIDRs are routed through the node containers
    const cache = await this.podCache();
    const sts = this.deps.statefulSet();
    // The cache follows the pods by a watch; a miss (a pod the watch has not shown yet) asks the API server once.
    const pod =
      cache.byIp(announced.host) ??
      (await statefulSetPods(this.deps.clients().core, sts)).find(
        (p) => p.status?.podIP === announced.host && !p.metadata?.deletionTimestamp,
      );
    if (!pod)
      throw new Error(`no pod of StatefulSet ${sts.name} has IP ${announced.host} (it may have been recreated)`);
    return {
      ...(await this.portForwards().forward(
        { name: pod.metadata!.name!, uid: pod.metadata!.uid!, ip: announced.host },
        announced.port,
      )),
      ...auth,
    };
  }

  /**
   * reach() without waiting, for ioredis' natMap (which is synchronous): the local end of a forward already
   * listening for that pod IP. A forward is listening before the platform tells anyone a pod's address:
   * listPods and waitForReplacement open (and await) one for each pod they return, and the watch opens one for
   * every pod it sees with an IP. undefined where reach() would add nothing, and for an IP whose pod was
   * recreated (judged from the watched cache while it is fresh; else a connection's own UID check refuses it).
   */
  reachNow(announced: HostPort): Target | undefined {
    if (this.mode === 'routed' || !this.forwards) return undefined;
    const cache = this.cache?.fresh ? this.cache : undefined;
    const local = this.forwards.knownAt(announced, (name, uid) => {
      const pod = cache?.byName(name);
      return !cache || (pod?.metadata?.uid === uid && !pod.metadata.deletionTimestamp);
    });
    return local && { ...local, ...(this.deps.auth ? { auth: this.deps.auth } : {}) };
  }

  /** Port-forward reach: the pods' forwards listening (the listeners only; a forward connects per connection). */
  async forwardsReady(pods: PodInfo[]): Promise<void> {
    const port = this.deps.port();
    if (this.mode !== 'port-forward' || port === undefined) return;
    await Promise.all(
      pods.filter((p) => p.ip).map((p) => this.portForwards().forward({ name: p.name, uid: p.uid, ip: p.ip }, port)),
    );
  }

  /** Teardown: the watch stopped (no wait). */
  stopWatch(): void {
    this.cache?.close();
  }

  async closeForwards(): Promise<void> {
    await this.forwards?.close();
  }

  private portForwards(): PodPortForwards {
    this.forwards ??= new PodPortForwards(
      this.deps.clients().kc,
      this.deps.statefulSet().namespace,
      (name) => this.currentUid(name),
      this.deps.log,
    );
    return this.forwards;
  }

  /** The watched pod cache of the port-forward path, started on first use. */
  private podCache(): Promise<PodCache> {
    this.cacheStarted ??= (async () => {
      const { kc, core } = this.deps.clients();
      const cache = new PodCache(kc, core, this.deps.statefulSet(), this.deps.log, (pod) => {
        // Ready before anyone asks: the natMap of a cluster client cannot wait for a listener.
        const port = this.deps.port();
        if (port !== undefined)
          void this.portForwards()
            .forward({ name: pod.metadata!.name!, uid: pod.metadata!.uid!, ip: pod.status?.podIP }, port)
            .catch(() => {});
      });
      this.cache = cache;
      await cache.start();
      return cache;
    })();
    return this.cacheStarted;
  }

  /** The UID of the pod by that name, undefined when it is gone or going. From the watched cache while a watch
   * runs (no API call per connection), else from the API server. */
  private async currentUid(name: string): Promise<string | undefined> {
    const pod = this.cache?.fresh ? this.cache.byName(name) : await this.deps.readPod(name);
    return pod?.metadata?.deletionTimestamp ? undefined : pod?.metadata?.uid;
  }
}
