import net from 'node:net';
import { Writable } from 'node:stream';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';
import type { Log } from '../../util/log.ts';
import type { HostPort } from '../platform.ts';
import { messageOf } from '../../errors.ts';

/**
 * What this module uses of the WebSocket that PortForward returns. client-node types it with isomorphic-ws, whose
 * types (the ws package's) are not installed here, so the compiler would see `any`.
 */
interface ForwardConnection {
  on(event: 'close' | 'error', listener: () => void): unknown;
  close(): void;
}

export interface ForwardTarget {
  name: string;
  uid: string;
  /** The pod IP the forward stands for (what Redis announces), when known. */
  ip?: string;
}

/**
 * Per-pod port-forwards through the API server for a cluster whose pod IPs the runner cannot route to: one
 * local listener per (pod incarnation, port); each accepted connection opens its own forward.
 *
 * A forward is bound to one pod *incarnation* (its UID), not its name: after the pod is recreated the name
 * points at a new pod with a new IP, and forwarding the old address to it would make a dead node look alive.
 * So every connection first checks the pod still has that UID, and is closed at once otherwise. Close events
 * are wired both ways (socket ⇄ WebSocket), or the process never exits.
 */
export class PodPortForwards {
  private readonly listeners = new Map<string, { server: net.Server; port: number }>();
  private readonly opening = new Map<string, Promise<{ server: net.Server; port: number }>>();
  private readonly sockets = new Set<net.Socket>();
  /** Pod IP -> the incarnation last forwarded for it. */
  private readonly byIp = new Map<string, { name: string; uid: string }>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly currentUid: (podName: string) => Promise<string | undefined>,
    private readonly log: Log,
  ) {}

  /**
   * The local end of a forward already listening for the pod at that announced address, else undefined;
   * `isCurrent` says whether that incarnation is still the pod (a recreated pod's old IP maps to nothing).
   */
  knownAt(announced: HostPort, isCurrent: (name: string, uid: string) => boolean): HostPort | undefined {
    const pod = this.byIp.get(announced.host);
    const local = pod && isCurrent(pod.name, pod.uid) ? this.listeners.get(`${pod.uid}:${announced.port}`) : undefined;
    return local && { host: '127.0.0.1', port: local.port };
  }

  /** A listener for that pod incarnation and port, resolved once it listens. */
  async forward(pod: ForwardTarget, port: number): Promise<HostPort> {
    if (pod.ip) this.byIp.set(pod.ip, { name: pod.name, uid: pod.uid });
    const key = `${pod.uid}:${port}`;
    const known = this.listeners.get(key);
    if (known) return { host: '127.0.0.1', port: known.port };
    // One listener per key even when asked twice at once (reach() and the watch's preparation).
    let opening = this.opening.get(key);
    if (!opening) {
      opening = this.listen(pod, port).finally(() => this.opening.delete(key));
      this.opening.set(key, opening);
    }
    return { host: '127.0.0.1', port: (await opening).port };
  }

  private async listen(pod: ForwardTarget, port: number): Promise<{ server: net.Server; port: number }> {
    const server = net.createServer((socket) => void this.connect(pod, port, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const listener = { server, port: (server.address() as net.AddressInfo).port };
    this.listeners.set(`${pod.uid}:${port}`, listener);
    this.log.info(`port-forward 127.0.0.1:${listener.port} -> pod ${pod.name}:${port}`);
    return listener;
  }

  private async connect(pod: ForwardTarget, port: number, socket: net.Socket): Promise<void> {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy()); // the client sees the close; nothing to add here
    try {
      if ((await this.currentUid(pod.name)) !== pod.uid) {
        socket.destroy();
        return;
      }
      // Anything on the error channel (e.g. "connection refused" inside the pod) ends the connection.
      const errors = new Writable({
        write: (chunk: Buffer, _enc, done) => {
          // The channel opens with an empty write (its port-number frame, stripped by PortForward).
          if (chunk.length > 0) {
            this.log.warn(`port-forward to ${pod.name}:${port}: ${chunk.toString('utf8').trim()}`);
            socket.destroy();
          }
          done();
        },
      });
      const ws = (await new PortForward(this.kc).portForward(
        this.namespace,
        pod.name,
        [port],
        socket,
        errors,
        socket,
      )) as ForwardConnection | (() => ForwardConnection | null);
      const conn = typeof ws === 'function' ? ws() : ws;
      if (!conn) {
        socket.destroy();
        return;
      }
      conn.on('close', () => socket.destroy());
      conn.on('error', () => socket.destroy());
      socket.on('close', () => conn.close());
      if (socket.destroyed) conn.close();
    } catch (err) {
      this.log.warn(`port-forward to ${pod.name}:${port} failed: ${messageOf(err)}`);
      socket.destroy();
    }
  }

  /** Closes every listener and open connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.allSettled([...this.opening.values()]); // a listener still opening is closed with the others
    await Promise.all(
      [...this.listeners.values()].map(({ server }) => new Promise((resolve) => server.close(resolve))),
    );
    this.listeners.clear();
  }
}
