/** Where something stands in a manifest file (1-based line and column), for errors and annotations. */
export interface Located {
  /** Path as the user gave it, relative to the working directory where possible (never a machine path). */
  file: string;
  line: number;
  column: number;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

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
  locate(path: readonly (string | number)[]): Located;
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
    /** files: path inside the mount → content (items applied; all keys when no items). */
    | { type: 'configMap'; configMap: string; files: Record<string, string> }
    | { type: 'emptyDir' }
    | { type: 'other'; description: string };
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
  name: string;
  namespace: string;
  replicas: number;
  serviceName: string;
  podLabels: Record<string, string>;
  container: {
    name: string;
    image: string;
    /** The container's command and args, as written (with $(VAR) references unexpanded). */
    command: string[];
    args: string[];
    /** The container's working directory (absolute): its workingDir, else the redis image's /data. */
    workingDir: string;
    /** Environment: literal values, and fieldRef paths (e.g. status.podIP) for downward-API variables. */
    env: Array<{ name: string; value?: string; fieldRef?: string }>;
  };
  mounts: MountView[];
  /** Path of the config file passed to redis-server (inside the container), if any. */
  configFile?: string;
  /** Effective directives: the config file's, then the arguments' (later ones win, as in redis-server). */
  directives: RedisDirective[];
  /** Last value of a directive (first argument), or undefined. Names are case-insensitive. */
  directive(name: string): string | undefined;
  port: number;
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
