/** What both Kubernetes platforms take from the run's settings. */
export interface KubeSettings {
  /** quota: a ResourceQuota in the run's namespace; cordon: the nodes are cordoned. */
  holdMode: 'quota' | 'cordon';
  rolloutTimeoutMs: number;
  /** Deploy into this namespace; default: the manifests' (kind) or a new one per run (existing). */
  namespace?: string;
  /** Whether a deleted pod's restart is held (the hold's rights are then checked before any change). */
  holdRestart?: boolean;
  /** hold-mode quota in a given namespace that runs other workloads: allowed only when true. */
  quotaHoldShared?: boolean;
}

/** What the kind platform takes from the run's settings. */
export interface KindSettings extends KubeSettings {
  kindVersion: string;
  nodeImage?: string;
  /** Images in the runner's Docker to load into the nodes (comma/space/newline separated). */
  loadImages?: string;
  /** The user's kind cluster config file. */
  kindConfig?: string;
  clusterName: string;
  workers: number;
  nfsStandIn: boolean;
}

/** What the existing-cluster platform takes from the run's settings. */
export interface ExistingSettings extends KubeSettings {
  kubeconfig?: string;
}
