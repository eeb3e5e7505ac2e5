/** One line of CLUSTER NODES (or nodes.conf), every field kept. */
export interface ClusterNode {
  id: string;
  /** Announced IP ('' for a node with no address yet, e.g. noaddr). */
  ip: string;
  port: number;
  busPort: number;
  /** Hostname from `ip:port@cport,hostname`, when announced. */
  hostname?: string;
  /** nodes.conf's aux fields after the hostname (Redis 7.2+, Valkey: `tls-port`, `shard-id`, ...). */
  aux?: Record<string, string>;
  flags: Set<NodeFlag>;
  /** Flags this tool does not know (a newer server's), kept as read; no check judges them. */
  otherFlags: string[];
  /** For a replica, the master's id; undefined for a master ('-'). */
  masterId?: string;
  pingSent: number;
  pongReceived: number;
  configEpoch: number;
  linkState: 'connected' | 'disconnected';
  /** Owned slot ranges, inclusive. */
  slots: Array<[number, number]>;
  /** `[slot->-id]` entries. */
  migrating: Array<{ slot: number; to: string }>;
  /** `[slot-<-id]` entries. */
  importing: Array<{ slot: number; from: string }>;
  /** The line as read, for evidence. */
  raw: string;
}

export type NodeFlag =
  'myself' | 'master' | 'slave' | 'fail?' | 'fail' | 'handshake' | 'noaddr' | 'nofailover' | 'noflags';

/** Desired shape of the cluster: which pod is a master of which slots, which pods replicate which master. */
export interface BootstrapPlan {
  masters: Array<{ pod: string; slots: [number, number] }>;
  replicas: Array<{ pod: string; master: string }>;
}

/** One node of a topology snapshot, as the report shows it. */
export interface NodeView {
  nodeId: string;
  pod?: string;
  /** The Kubernetes node its pod runs on, and that node's zone label, where known. */
  kubeNode?: string;
  zone?: string;
  address: string;
  role: 'master' | 'replica';
  masterId?: string;
  /** Slot ranges, e.g. "0-5460". */
  slots: string[];
  flags: string[];
}

export interface Topology {
  nodes: NodeView[];
  /** Raw CLUSTER NODES from one healthy node, for the record. */
  clusterNodes?: string;
}
