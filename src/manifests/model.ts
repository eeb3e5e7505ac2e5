import type { ServerInfo } from './server.ts';
/** Where something stands in a manifest file (1-based line and column), for errors and annotations. */
export interface Located {
  /** Path as the user gave it, relative to the working directory where possible (never a machine path). */
  file: string;
  line: number;
  column: number;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = Record<string, JsonValue>;

/** One Kubernetes object from a YAML document, with positions kept for every field. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** The object as plain data. Treat as read-only; copy it (structuredClone) before changing it. */
  body: JsonObject;
  /** Position of the document (its first key). */
  at: Located;
  /** Index of the document within its file (0-based). */
  docIndex: number;
  /** Position of the node at `path` (e.g. ['spec', 'template', 'spec', 'containers', 0, 'image']), or of its
   * nearest existing ancestor when the path does not exist. Pointing at the value, not the key. */
  locate(path: ReadonlyArray<string | number>): Located;
}

export interface ManifestSet {
  /** Directory the manifests came from, as given. */
  dir: string;
  files: string[];
  objects: ManifestObject[];
}

/** A volume mounted into the Redis container, resolved to what backs it. */
export interface MountView {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly: boolean;
  source:
    | { type: 'pvc'; claimTemplate: string }
    /** files: path inside the mount → content (items applied; all keys when no items); modes: their file mode
     * (the item's mode, else the volume's defaultMode, else 0644 as the kubelet writes them). */
    | { type: 'configMap'; configMap: string; files: Record<string, string>; modes: Record<string, number> }
    /** A Secret volume: the same, from the Secret's data (base64-decoded) and stringData. */
    | { type: 'secret'; secret: string; files: Record<string, string>; modes: Record<string, number> }
    | { type: 'emptyDir' }
    | { type: 'other'; description: string };
}

/** One environment variable of a container: a literal (or resolved) value, or a downward-API field. */
export interface EnvVar {
  name: string;
  /** The value: literal, or read from a Secret / ConfigMap in the manifests (see `from`). */
  value?: string;
  /** Downward-API field path (e.g. status.podIP). */
  fieldRef?: string;
  /** For a secretKeyRef / configMapKeyRef: what it names ("Secret redis-auth key password"), and whether it is
   * secret; `value` is unset when the object is not among the manifests. */
  from?: { description: string; secret: boolean; at: Located };
}

/** A container of the pod as the platform runs it. */
export interface ContainerView {
  name: string;
  image: string;
  /** The container's command and args, as written (with $(VAR) references unexpanded). */
  command: string[];
  args: string[];
  /** The container's working directory (absolute): its workingDir, else the image's (redis: /data, else /). */
  workingDir: string;
  /** Environment in order: later entries may refer to earlier ones with $(VAR). */
  env: EnvVar[];
  mounts: MountView[];
  /** The readiness probe's exec command, when it has one. */
  readinessExec?: string[];
}

/** Something about how Redis starts that the manifests alone cannot tell; lint reports it as info. */
export interface LaunchGap {
  at: Located;
  message: string;
}

/** How the container starts redis-server, as far as the manifests show it. */
export interface LaunchView {
  /** redis-server's argv (program first), $(VAR) unexpanded; empty when it could not be found. */
  redisArgv: string[];
  /** What runs before redis-server (a wrapper script, `sh -c`), or undefined when the container runs it itself. */
  wrapper?: { description: string; at: Located };
  /** The config file's content: 'static' from a ConfigMap, 'template' from what an init container renders it
   * from (placeholders filled at start), 'unknown' when only the running pod has it. */
  config: 'static' | 'template' | 'unknown';
  /** The init container that writes the config file, when one does. */
  renderedBy?: string;
  gaps: LaunchGap[];
}

/** One redis.conf directive with where it came from (a config file line or a container argument). */
export interface RedisDirective {
  name: string;
  args: string[];
  from: { kind: 'file'; path: string; line: number; at?: Located } | { kind: 'arg'; index: number; at?: Located };
}

/** Everything the pipeline needs to know about the Redis StatefulSet, read from the manifests. */
export interface RedisDeployment {
  statefulSet: ManifestObject;
  /** The server the container runs: Redis or Valkey (see server.ts), for messages and the local platform. */
  server: ServerInfo;
  name: string;
  namespace: string;
  replicas: number;
  serviceName: string;
  podLabels: Record<string, string>;
  /** The Redis container; its mounts are also `mounts`. */
  container: ContainerView;
  /** The pod's init containers, in order. */
  initContainers: ContainerView[];
  mounts: MountView[];
  launch: LaunchView;
  /** Path of the config file passed to redis-server (inside the container), if any. */
  configFile?: string;
  /** Effective directives: the config file's, then the arguments' (later ones win, as in redis-server). */
  directives: RedisDirective[];
  /** Last value of a directive (first argument), or undefined. Names are case-insensitive. */
  directive(name: string): string | undefined;
  port: number;
  /** The cluster bus port: `cluster-port` when set (non-zero), else port + BUS_PORT_OFFSET; may exceed 65535 (lint says so). */
  busPort: number;
  /** Absolute in-container paths, resolved against `dir` as redis-server does. */
  dataDir: string;
  clusterConfigFile: string;
  /** The mount that holds a container path, or undefined when it lies on the container's own filesystem. */
  mountFor(containerPath: string): MountView | undefined;
  /** True when the container path lies on a PersistentVolumeClaim mount (survives a pod restart). */
  isPersistent(containerPath: string): boolean;
  /** The volumeClaimTemplates: name, storage class, access modes, requested size. */
  claimTemplates: Array<{ name: string; storageClassName?: string; accessModes: string[]; storage?: string }>;
}
