/**
 * The undo journal: before a run changes anything outside its own process (a kind cluster, a route, a
 * Kubernetes object, a held pod, a cordon), it records how to undo it. The main step settles what it undid
 * itself; whatever is left unsettled (a cancel, a timeout, a kill) is undone by the action's post step or by
 * the CLI's next run / `cleanup` command. Steps are undone in reverse order and every undo is idempotent.
 */

/** What the post step / cleanup needs to reach the Kubernetes API again (never the credentials themselves). */
export interface KubeTarget {
  /** Path of the kubeconfig file the run used (kind: the one it wrote into its work dir). */
  kubeconfig: string;
  context?: string;
}

export type UndoStep =
  /** kind is found again from its version in the tool cache, never from a path in the journal. */
  | { kind: 'kind-cluster'; cluster: string; kindVersion: string }
  | { kind: 'pod-route'; cidr: string; via: string }
  /** An object the run created; deleted (namespaces with their content) on undo. */
  | {
      kind: 'kube-object';
      target: KubeTarget;
      apiVersion: string;
      objectKind: string;
      name: string;
      namespace?: string;
    }
  /** A node the run cordoned (only with the explicit cordon hold); undo restores `wasUnschedulable`. */
  | { kind: 'node-cordon'; target: KubeTarget; node: string; wasUnschedulable: boolean }
  /** A restart hold inside the run's namespace (e.g. a pods ResourceQuota); undo lifts it. */
  | { kind: 'restart-hold'; target: KubeTarget; namespace: string; name: string }
  /** kind: a node container the run stopped (node-loss); undo starts it again. */
  | { kind: 'node-container-stopped'; container: string }
  /** Local platform: the run's processes (by PID, with their start times so a reused PID is never signalled). */
  | { kind: 'local-processes'; workDir: string }
  /** A partition's packet filter chain (src/platform/packet-filter.ts), entered from `hooks`: on the host, or, with
   * `node` and `pid`, in the network namespace of that process of a kind node container. */
  | { kind: 'partition-rules'; chain: string; hooks: Array<'INPUT' | 'OUTPUT'>; node?: string; pid?: number }
  /** Local platform: the run's loopback firewall (local/loopback-firewall.ts), named only by its random id. */
  | { kind: 'local-firewall'; id: string };

export interface UndoJournal {
  /** Saves `step` durably (action state, or a file in the CLI's work dir) BEFORE the caller makes the change.
   * Returns the step's id. */
  record(step: UndoStep): Promise<string>;
  /** The change was undone (or never made): nothing is left for the post step / cleanup to do for it. */
  settle(id: string): Promise<void>;
}

/** A journal that keeps nothing: for unit tests of code that records steps, and for dry paths. */
export const noUndoJournal: UndoJournal = {
  record: async () => '',
  settle: async () => {},
};
