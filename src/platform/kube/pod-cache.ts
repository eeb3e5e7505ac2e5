import { Watch, type CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { messageOf } from '../../errors.ts';
import type { Log } from '../../util/log.ts';
import { labelSelector, ordinalOf, statefulSetPodsOf, type StatefulSetTarget } from './pods.ts';

/** Pause before re-listing after a watch that failed, or that ended at once (no tight loop against the server). */
const REARM_PAUSE_MS = 1000;

/**
 * The StatefulSet's pods as the API server last told them: one list, then a watch from that list's
 * resourceVersion, so that a port-forward asks no API call per connection. client-node's Watch ends on its own
 * after 30 s without an event (its inactivity timeout) and the server ends watches too: the cache re-arms from
 * the last resourceVersion it saw, and re-lists after an error (410 Gone: too old) or a watch that ended at once.
 * `fresh` is false while no watch runs; callers that must not act on a stale answer (is this pod still the same
 * incarnation?) ask the API server then. `onPod` is told every pod seen with its IP (to prepare a forward).
 */
export class PodCache {
  private readonly pods = new Map<string, V1Pod>();
  private watching = false;
  private closed = false;
  private controller?: AbortController;
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly target: StatefulSetTarget,
    private readonly log: Log,
    private readonly onPod: (pod: V1Pod) => void = () => {},
  ) {}

  /** True while a watch is in place: what the cache says is at most one event behind the API server. */
  get fresh(): boolean {
    return this.watching;
  }

  /** Lists the pods and starts watching them. */
  async start(): Promise<void> {
    const { namespace } = this.target;
    const list = await this.core.listNamespacedPod({ namespace, labelSelector: labelSelector(this.target.podLabels) });
    this.pods.clear();
    for (const pod of statefulSetPodsOf(list.items, this.target.name)) this.seen(pod);
    await this.arm(list.metadata?.resourceVersion);
  }

  /** The pods, by ordinal. */
  list(): V1Pod[] {
    return statefulSetPodsOf([...this.pods.values()], this.target.name);
  }

  byName(name: string): V1Pod | undefined {
    return this.pods.get(name);
  }

  byIp(ip: string): V1Pod | undefined {
    return [...this.pods.values()].find((p) => p.status?.podIP === ip && !p.metadata?.deletionTimestamp);
  }

  close(): void {
    this.closed = true;
    this.watching = false;
    clearTimeout(this.timer);
    this.controller?.abort();
  }

  private seen(pod: V1Pod): void {
    const name = pod.metadata?.name ?? '';
    if (ordinalOf(name, this.target.name) === undefined) return;
    this.pods.set(name, pod);
    if (pod.status?.podIP && !pod.metadata?.deletionTimestamp) this.onPod(pod);
  }

  private async arm(from: string | undefined): Promise<void> {
    if (this.closed) return;
    let resourceVersion = from;
    let expired = false;
    const started = Date.now();
    const { namespace } = this.target;
    this.watching = true;
    this.controller = await new Watch(this.kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector: labelSelector(this.target.podLabels), resourceVersion, allowWatchBookmarks: true },
      (type: string, pod: V1Pod) => {
        if (type === 'ERROR') {
          expired = true; // e.g. 410 Gone: the resourceVersion is too old to watch from
          return;
        }
        resourceVersion = pod.metadata?.resourceVersion ?? resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED') this.seen(pod);
        else if (type === 'DELETED' && this.pods.get(pod.metadata?.name ?? '')?.metadata?.uid === pod.metadata?.uid)
          this.pods.delete(pod.metadata!.name!);
      },
      (err: unknown) => {
        this.watching = false;
        const relist =
          expired || (err !== null && err !== undefined && !(err instanceof Error && err.name === 'TimeoutError'));
        this.rearm(relist, resourceVersion, relist || Date.now() - started < REARM_PAUSE_MS ? REARM_PAUSE_MS : 0);
      },
    );
  }

  /** Watches again (from `resourceVersion`, or after a fresh list); keeps trying, one warning per outage. */
  private rearm(relist: boolean, resourceVersion: string | undefined, pauseMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      (relist ? this.start() : this.arm(resourceVersion)).then(
        () => (this.failing = false),
        (err: unknown) => {
          if (!this.failing)
            this.log.warn(
              `watching the pods of ${this.target.name} failed (${messageOf(err)}); asking the API server per connection until it works again`,
            );
          this.failing = true;
          this.rearm(true, undefined, REARM_PAUSE_MS);
        },
      );
    }, pauseMs).unref();
  }
}
