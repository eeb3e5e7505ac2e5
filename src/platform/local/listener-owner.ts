import fs from 'node:fs';

/**
 * Whether the socket listening on ip:port (IPv4, TCP) is held by `root` or one of its descendants, read from the
 * host's /proc (man 5 proc: /proc/net/tcp lists each socket's local address and inode, /proc/<pid>/fd links to
 * `socket:[inode]`). This identifies a pod's server where its INFO process_id cannot: inside a PID namespace (a
 * sandboxed pod) Redis reports its namespace's PID, and with a password it answers INFO with -NOAUTH.
 */
export function listenerHeldBy(root: number, ip: string, port: number): boolean {
  const inodes = listeningInodes(ip, port);
  if (inodes.size === 0) return false;
  return descendantsOf(root).some((pid) => {
    try {
      return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
        const m = /^socket:\[(\d+)\]$/.exec(readLink(`/proc/${pid}/fd/${fd}`) ?? '');
        return m !== null && inodes.has(m[1]!);
      });
    } catch {
      return false; // gone meanwhile, or not ours to look into
    }
  });
}

/** Inodes of the TCP sockets in LISTEN state (st 0A) bound to ip:port. */
function listeningInodes(ip: string, port: number): Set<string> {
  // The address as the kernel prints it: the IPv4 bytes in host (little-endian) order, then the port, in hex.
  const local = `${ip
    .split('.')
    .reverse()
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .join('')}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
  const found = new Set<string>();
  let text: string;
  try {
    text = fs.readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return found;
  }
  // Only the lines holding the address are split into fields: on a busy host the table has thousands of lines,
  // and this runs on every poll of a pod's readiness (splitting them all was tens of MB of garbage per check).
  for (let at = text.indexOf(` ${local} `); at >= 0; at = text.indexOf(` ${local} `, at + 1)) {
    const start = text.lastIndexOf('\n', at) + 1;
    const end = text.indexOf('\n', at);
    const f = text
      .slice(start, end < 0 ? undefined : end)
      .trim()
      .split(/\s+/);
    if (f[1] === local && f[3] === '0A' && f[9]) found.add(f[9]);
  }
  return found;
}

/** `root` and every process descending from it (by parent PID, field 4 of /proc/<pid>/stat). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // Exited while we looked.
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function readLink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}
