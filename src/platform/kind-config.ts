import path from 'node:path';
import { parse, stringify } from 'yaml';
import { InputError, messageOf } from '../errors.ts';
import { isObject } from '../manifests/object-path.ts';
import type { JsonObject, JsonValue } from '../manifests/model.ts';
import { readInputText } from '../util/input-text.ts';
import { displayPath } from '../util/paths.ts';

/** Where the runner's PV directory (the NFS stand-in) appears inside every kind node. */
export const KIND_PV_MOUNT = '/var/local/redis-resilience-pv';

export interface KindConfigOptions {
  workers: number;
  /** Runner directory mounted into every node at KIND_PV_MOUNT. */
  hostPvDir: string;
  /** Node image for every node; kind's own default when absent. */
  nodeImage?: string;
  /** The user's own kind config (the kind-config input): its nodes and settings, with our mount added. */
  user?: { file: string; text: string };
}

/** The kind-config input's file, read as user input (bounded, decoded; a missing file is InputError). */
export async function readKindConfigFile(file: string): Promise<{ file: string; text: string }> {
  const name = `kind-config ${displayPath(file)}`;
  const text = await readInputText(file, name, 1024 * 1024, 'a kind cluster config is a few kilobytes').catch(
    (err: unknown) => {
      if (err instanceof InputError) throw err;
      throw new InputError(
        `${name}: cannot be read (${(err as NodeJS.ErrnoException).code ?? messageOf(err)}); expected a kind cluster config file`,
        {
          cause: err,
        },
      );
    },
  );
  return { file: displayPath(file), text };
}

/** The user's kind config as an object, or InputError naming the file and what a kind config is. */
function parseUserConfig(user: { file: string; text: string }): JsonObject {
  const bad = (why: string) =>
    new InputError(
      `kind-config ${user.file}: ${why}; expected a kind cluster config (kind: Cluster, apiVersion: kind.x-k8s.io/v1alpha4)`,
    );
  let value: unknown;
  try {
    value = parse(user.text, { maxAliasCount: 100 });
  } catch (err) {
    throw bad(`not YAML (${messageOf(err)})`);
  }
  if (!isObject(value as JsonValue)) throw bad('not a mapping');
  const config = value as JsonObject;
  if (config.kind !== 'Cluster' || config.apiVersion !== 'kind.x-k8s.io/v1alpha4') {
    throw bad(`kind ${JSON.stringify(config.kind ?? null)}, apiVersion ${JSON.stringify(config.apiVersion ?? null)}`);
  }
  if (config.nodes !== undefined && !(Array.isArray(config.nodes) && config.nodes.every((n) => isObject(n))))
    throw bad('nodes is not a list of nodes');
  return config;
}

/**
 * A kind cluster config: one control-plane and `workers` workers, all mounting the same runner directory so
 * a PV's data stays in one place whichever node runs the pod (what the seed's NFS export gave it). With the
 * user's own config, its settings and nodes are kept (its node list replaces `workers`) and every node gets the
 * mount added; `nodeImage` applies to the nodes that name no image.
 */
export function kindConfig(opts: KindConfigOptions): string {
  if (!Number.isInteger(opts.workers) || opts.workers < 0) {
    throw new Error(`kind workers must be a whole number of at least 0, got ${opts.workers}`);
  }
  // kind resolves relative host paths against its own working directory; pin it to ours.
  const mount = { hostPath: path.resolve(opts.hostPvDir), containerPath: KIND_PV_MOUNT };
  const user = opts.user ? parseUserConfig(opts.user) : undefined;
  const given = (user?.nodes as JsonObject[] | undefined) ?? [];
  const nodes: JsonObject[] = given.length
    ? given.map((n) => structuredClone(n))
    : [{ role: 'control-plane' }, ...Array.from({ length: opts.workers }, () => ({ role: 'worker' }))];
  for (const node of nodes) {
    const mounts = Array.isArray(node.extraMounts) ? node.extraMounts : [];
    if (mounts.some((m) => isObject(m) && m.containerPath === KIND_PV_MOUNT)) {
      throw new InputError(
        `kind-config ${opts.user!.file}: a node already mounts something at ${KIND_PV_MOUNT}, where the NFS stand-in goes; remove that mount`,
      );
    }
    node.extraMounts = [...mounts, { ...mount }];
    if (opts.nodeImage && node.image === undefined) node.image = opts.nodeImage;
  }
  const config = { ...(user ?? {}), kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', nodes };
  // No anchors/aliases: kind's YAML decoder should see every node spelled out.
  return stringify(config, { aliasDuplicateObjects: false });
}
