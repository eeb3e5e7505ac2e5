import type { Redis } from 'ioredis';
import type { HostPort } from '../platform/platform.ts';
import { formatAddress, openNode, type OpenOptions, type Reach } from './connect.ts';

/**
 * Connections kept open to the nodes a poll asks again and again (the failover watch asks every survivor
 * every ~75 ms). Opening one per question costs a TCP handshake locally, and on an existing cluster a new
 * port-forward stream through the API server each time. A connection that fails is dropped and reopened on the
 * next use, so a node that went away and came back is asked afresh.
 */
export class NodePool {
  private readonly conns = new Map<string, Promise<Redis>>();

  constructor(
    private readonly reach: Reach,
    private readonly opts: OpenOptions = {},
  ) {}

  /** Runs `fn` on the node's kept connection (opened on first use). */
  async use<T>(address: HostPort, fn: (r: Redis) => Promise<T>): Promise<T> {
    const key = formatAddress(address);
    let conn = this.conns.get(key);
    if (!conn) {
      conn = openNode(this.reach, address, this.opts);
      this.conns.set(key, conn);
    }
    try {
      return await fn(await conn);
    } catch (err) {
      if (this.conns.get(key) === conn) this.conns.delete(key);
      conn.then(
        (r) => r.disconnect(),
        () => {},
      );
      throw err;
    }
  }

  /** Disconnects every kept connection. */
  close(): void {
    for (const conn of this.conns.values())
      conn.then(
        (r) => r.disconnect(),
        () => {},
      );
    this.conns.clear();
  }
}
