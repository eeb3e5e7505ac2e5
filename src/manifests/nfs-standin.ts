import path from 'node:path';
import { isObject, scalarText } from './object-path.ts';
import type { JsonObject, ManifestSet } from './model.ts';
import { dns1123SubdomainProblem, refuse } from './path-refusals.ts';

/** One PersistentVolume's NFS source pointed at the stand-in (from the manifests' server:path to the node's). */
export interface NfsRewrite {
  persistentVolume: string;
  from: string;
  to: string;
}

/**
 * The NFS stand-in: every PersistentVolume with an `nfs:` source becomes a `hostPath` volume (DirectoryOrCreate)
 * at `<nodeDir>/<pv-name>`, where nodeDir is a directory every node mounts from the same runner directory, so a
 * pod finds its data on whichever node it lands, as with the NFS export. Everything else the PV says is kept
 * (name, labels, capacity, access modes, class, claimRef, reclaim policy, node affinity); `mountOptions` are NFS
 * client options a hostPath cannot take, so they are dropped and the rewrite says so.
 *
 * Returns deep copies of every object, in the order of `set.objects` (objects[i] is set.objects[i]); the
 * input is not modified.
 */
export function nfsStandIn(set: ManifestSet, nodeDir: string): { objects: JsonObject[]; rewrites: NfsRewrite[] } {
  const rewrites: NfsRewrite[] = [];
  const objects = set.objects.map((o) => {
    const body = structuredClone(o.body);
    const spec = body.spec;
    if (o.kind !== 'PersistentVolume' || !isObject(spec) || !isObject(spec.nfs)) return body;
    // The PV's name becomes a directory name on the runner: refuse what the API server refuses (before any exists).
    refuse(o.locate(['metadata', 'name']), 'PersistentVolume name', o.name, dns1123SubdomainProblem(o.name));
    const { nfs, mountOptions, ...rest } = spec;
    const hostPath = path.posix.join(nodeDir, o.name);
    body.spec = { ...rest, hostPath: { path: hostPath, type: 'DirectoryOrCreate' } };
    const dropped =
      Array.isArray(mountOptions) && mountOptions.length > 0
        ? `; mountOptions ${mountOptions.map(scalarText).join(',')} dropped (NFS client options, hostPath takes none)`
        : '';
    rewrites.push({
      persistentVolume: o.name,
      from: `nfs ${scalarText(nfs.server)}:${scalarText(nfs.path)}`,
      to: `hostPath ${hostPath}${dropped}`,
    });
    return body;
  });
  return { objects, rewrites };
}
