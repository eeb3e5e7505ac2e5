import fs from 'node:fs';
import { InputError } from '../../errors.ts';
import type { Located, ManifestObject } from '../../manifests/model.ts';
import { objectAt, objectsAt, scalarText, stringsAt, valueAt, type Path } from '../../manifests/object-path.ts';

/**
 * A local pod's container gets what a Kubernetes container gets by default, and what its securityContext
 * (io.k8s.api.core.v1.SecurityContext, PodSecurityContext) changes of that, as far as it stays inside the pod:
 * the container runtime's default capabilities, a read-only /proc/sys and masked /proc files, no_new_privs, a
 * seccomp filter (seccomp.ts), runAsUser/runAsGroup, readOnlyRootFilesystem. The pod shares the host's network
 * namespace and kernel here, so what a Kubernetes pod may do only inside its own namespaces (privileged, the
 * host's namespaces, capabilities that act on the network or the kernel) is refused with the reason.
 */

/**
 * containerd's default capability set (pkg/oci/spec.go defaultUnixCaps, containerd 2.x; 1.x and CRI-O also added
 * MKNOD, NET_RAW, SETFCAP, SYS_CHROOT and AUDIT_WRITE, which containerd 2.0 dropped). MKNOD (a device node on a
 * volume, with no device cgroup here) and NET_RAW (raw sockets on the host's network namespace: every pod's and
 * the host's loopback traffic) would reach the host here.
 */
export const DEFAULT_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'KILL',
];

/** What a securityContext may add here: capabilities whose reach stays inside the pod's own processes and files. */
const ADDABLE_CAPS = new Set([...DEFAULT_CAPS, 'SETFCAP', 'SYS_CHROOT', 'AUDIT_WRITE', 'IPC_LOCK', 'LEASE']);

/** containerd's ReadonlyPaths and MaskedPaths of /proc (pkg/oci/spec.go populateDefaultUnixSpec). */
const READONLY_PROC = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
const MASKED_PROC = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
];

export interface ContainerSecurity {
  /** Capabilities the container keeps (names without CAP_). */
  caps: string[];
  /** runAsUser / runAsGroup (the container's, else the pod's). */
  user?: { uid: number; gid: number };
  readOnlyRoot: boolean;
}

type Kind = 'containers' | 'initContainers';

/**
 * Refuses what would give a pod the host: `privileged`, `hostNetwork`, `hostPID`, `hostIPC`, and capabilities
 * beyond ADDABLE_CAPS, naming file and line. Called before any pod starts.
 */
export function refuseHostAccess(sts: ManifestObject): void {
  const pod: Path = ['spec', 'template', 'spec'];
  const here = (p: Path): string => describe(sts.locate(p));
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (valueAt(sts.body, [...pod, field]) === true) {
      throw new InputError(
        `${here([...pod, field])}: ${field}: true gives the pod the host's own ${field.slice(4)} namespace; the local ` +
          `platform refuses it (its pods already share the host's kernel and network). Remove it, or use platform kind`,
      );
    }
  }
  for (const kind of ['initContainers', 'containers'] as const) {
    objectsAt(sts.body, [...pod, kind]).forEach((c, i) => {
      const sc: Path = [...pod, kind, i, 'securityContext'];
      if (valueAt(sts.body, [...sc, 'privileged']) === true) {
        throw new InputError(
          `${here([...sc, 'privileged'])}: container ${scalarText(c.name)} is privileged (every capability, every device, ` +
            'no seccomp): on the local platform that is root on this machine, so it is refused. Remove it, or use platform kind',
        );
      }
      stringsAt(sts.body, [...sc, 'capabilities', 'add']).forEach((cap, j) => {
        const name = capName(cap);
        if (!ADDABLE_CAPS.has(name)) {
          throw new InputError(
            `${here([...sc, 'capabilities', 'add', j])}: container ${scalarText(c.name)} adds capability ${cap}, which ` +
              `would act on this machine's own network or kernel here (local pods share them); the local platform ` +
              `allows adding only ${[...ADDABLE_CAPS].join(', ')}. Remove it, or use platform kind`,
          );
        }
      });
    });
  }
}

/** The securityContext of container `name` (of `kind`), with the pod's runAsUser/runAsGroup as its defaults. */
export function containerSecurity(sts: ManifestObject, kind: Kind, name: string): ContainerSecurity {
  const podSpec: Path = ['spec', 'template', 'spec'];
  const index = objectsAt(sts.body, [...podSpec, kind]).findIndex((c) => c.name === name);
  const sc = index < 0 ? {} : objectAt(sts.body, [...podSpec, kind, index, 'securityContext']);
  const podSc = objectAt(sts.body, [...podSpec, 'securityContext']);
  const id = (key: 'runAsUser' | 'runAsGroup'): number | undefined => {
    const v = sc[key] ?? podSc[key];
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2147483647 ? v : undefined;
  };
  const drop = stringsAt(sc, ['capabilities', 'drop']).map(capName);
  const add = stringsAt(sc, ['capabilities', 'add']).map(capName);
  const kept = drop.includes('ALL') ? [] : DEFAULT_CAPS.filter((c) => !drop.includes(c));
  const uid = id('runAsUser');
  const gid = id('runAsGroup');
  return {
    caps: [...new Set([...kept, ...add])],
    ...(uid !== undefined || gid !== undefined ? { user: { uid: uid ?? 0, gid: gid ?? 0 } } : {}),
    readOnlyRoot: sc.readOnlyRootFilesystem === true,
  };
}

/** 'CAP_NET_ADMIN', 'net_admin' and 'NET_ADMIN' all name NET_ADMIN (the kubelet prefixes CAP_ itself). */
function capName(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, '');
}

/**
 * bwrap options for the process side of a container's security: capabilities (bwrap, run as root, keeps every
 * one unless told) and the seccomp filter on `seccompFd`. A container with a user to switch to keeps what
 * setpriv needs for the switch (SETUID, SETGID, SETPCAP for the bounding set); userPrefix's setpriv then leaves
 * it only its own (as a container runtime switches user before it drops capabilities).
 */
export function securityArgs(sec: ContainerSecurity, seccompFd: number | undefined): string[] {
  const args = ['--cap-drop', 'ALL'];
  const caps = sec.user ? new Set([...sec.caps, 'SETUID', 'SETGID', 'SETPCAP']) : sec.caps;
  for (const c of caps) args.push('--cap-add', `CAP_${c}`);
  if (seccompFd !== undefined) args.push('--seccomp', String(seccompFd));
  return args;
}

/** Mounts over the sandbox's fresh /proc: containerd's read-only and masked paths, those this kernel has. */
export function procMaskArgs(): string[] {
  const args: string[] = [];
  for (const p of READONLY_PROC) if (fs.existsSync(p)) args.push('--ro-bind', p, p);
  for (const p of MASKED_PROC) {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory()) args.push('--tmpfs', p, '--remount-ro', p);
    else if (st) args.push('--ro-bind', '/dev/null', p);
  }
  return args;
}

/** runAsUser/runAsGroup: the container's command run through setpriv (bwrap's own --uid needs a user namespace). */
export function userPrefix(sec: ContainerSecurity, setpriv: string | undefined): string[] {
  if (!sec.user) return [];
  if (!setpriv?.startsWith('/usr/'))
    throw new Error(
      'local platform: runAsUser/runAsGroup need setpriv under /usr (util-linux) to switch user inside the sandbox',
    );
  // The bounding set is what root keeps across exec (a non-root user keeps no capability, as on Kubernetes).
  const bounding = ['-all', ...sec.caps.map((c) => `+${c.toLowerCase()}`)].join(',');
  return [
    setpriv,
    `--reuid=${sec.user.uid}`,
    `--regid=${sec.user.gid}`,
    '--clear-groups',
    `--bounding-set=${bounding}`,
    '--',
  ];
}

function describe(at: Located): string {
  return `${at.file}:${at.line}`;
}
