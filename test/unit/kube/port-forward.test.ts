import net from 'node:net';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
// @ts-expect-error -- ws (client-node's WebSocket library) ships no declarations and @types/ws is not installed
import { WebSocketServer as UntypedServer } from 'ws';
import * as api from '../../../src/platform/kube/api.ts';
import { PodPortForwards } from '../../../src/platform/kube/port-forward.ts';
import { silentLog } from '../../../src/util/log.ts';
import { startApiFixture, status, type ApiFixture } from './api-fixture.ts';

let fixture: ApiFixture;
let currentUid: string | undefined;

// The little of ws this test uses.
interface WebSocket {
  protocol: string;
  send(data: Buffer): void;
  close(): void;
  on(event: 'message', f: (data: Buffer) => void): void;
  once(event: string, f: (...a: unknown[]) => void): void;
}
interface WebSocketServer {
  handleUpgrade(req: unknown, socket: unknown, head: Buffer, done: (ws: WebSocket) => void): void;
  close(): void;
}
const WebSocketServer = UntypedServer as new (opts: {
  noServer: true;
  handleProtocols: () => string;
}) => WebSocketServer;
let wss: WebSocketServer;
const serverSockets: WebSocket[] = [];
const upgrades: string[] = [];

/** Bounds a wait in a test (a broken close wiring would otherwise hang the run); generous, not a timing check. */
const within = <T>(p: Promise<T>, what: string, ms = 5000) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms).unref()),
  ]);
const once = (emitter: { once(e: string, f: (...a: unknown[]) => void): unknown }, event: string) =>
  new Promise<unknown[]>((resolve) => emitter.once(event, (...a) => resolve(a)));

// The API server's side of a v4 port-forward: a port-number frame on the data (0) and error (1) channels,
// then data frames [channel, ...bytes]. It echoes what it gets; "FAIL" answers on the error channel.
function portForwardServer(ws: WebSocket, port: number) {
  serverSockets.push(ws);
  const prefix = Buffer.from([port & 0xff, port >> 8]);
  ws.send(Buffer.concat([Buffer.from([0]), prefix]));
  ws.send(Buffer.concat([Buffer.from([1]), prefix]));
  ws.on('message', (data: Buffer) => {
    const payload = data.subarray(1);
    if (payload.toString() === 'FAIL') ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('connection refused')]));
    else ws.send(Buffer.concat([Buffer.from([0]), payload]));
  });
}

beforeAll(test, async () => {
  fixture = await startApiFixture((r) => {
    if (r.method === 'GET' && r.path === '/api/v1/namespaces/run-ns/pods/redis-app-0') {
      return currentUid
        ? { status: 200, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'redis-app-0', uid: currentUid } } }
        : status(404, 'gone');
    }
    return undefined;
  });
  wss = new WebSocketServer({ noServer: true, handleProtocols: () => 'v4.channel.k8s.io' });
  fixture.upgrade = (req, socket, head) => {
    upgrades.push(req.url ?? '');
    wss.handleUpgrade(req, socket, head, (ws) =>
      portForwardServer(ws, Number(new URL(req.url!, 'http://x').searchParams.get('ports'))),
    );
  };
});
test.after(async () => {
  wss.close();
  await fixture.close();
});
test.before.each(() => {
  currentUid = 'uid-1';
  upgrades.length = 0;
  serverSockets.length = 0;
});

function forwards() {
  const clients = api.kubeClients(api.loadKubeConfig(fixture.kubeconfig));
  const uidOf = async (name: string) =>
    (await clients.core.readNamespacedPod({ name, namespace: 'run-ns' }).catch(() => undefined))?.metadata?.uid;
  return new PodPortForwards(clients.kc, 'run-ns', uidOf, silentLog);
}
async function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await within(once(socket, 'connect'), 'connect');
  return socket;
}

test('bytes go through both ways; closing the local socket closes the WebSocket', async () => {
  const pf = forwards();
  const local = await pf.forward({ name: 'redis-app-0', uid: 'uid-1' }, 6379);
  assert.is(local.host, '127.0.0.1');
  assert.equal(
    await pf.forward({ name: 'redis-app-0', uid: 'uid-1' }, 6379),
    local,
    'one listener per pod incarnation and port',
  );
  const socket = await connect(local.port);
  socket.write('PING\r\n');
  const [reply] = await within(once(socket, 'data'), 'echo');
  assert.is(String(reply), 'PING\r\n');
  assert.equal(upgrades, ['/api/v1/namespaces/run-ns/pods/redis-app-0/portforward?ports=6379']);
  const wsClosed = once(serverSockets[0]!, 'close');
  socket.destroy();
  await within(wsClosed, 'WebSocket close after the socket closed');
  await pf.close();
});

test('the API server closing the WebSocket closes the local socket', async () => {
  const pf = forwards();
  const socket = await connect((await pf.forward({ name: 'redis-app-0', uid: 'uid-1' }, 6379)).port);
  socket.write('x');
  await within(once(socket, 'data'), 'echo');
  const closed = once(socket, 'close');
  serverSockets[0]!.close();
  await within(closed, 'socket close after the WebSocket closed');
  await pf.close();
});

test('anything on the error channel ends the connection', async () => {
  const pf = forwards();
  const socket = await connect((await pf.forward({ name: 'redis-app-0', uid: 'uid-1' }, 6379)).port);
  socket.write('x');
  await within(once(socket, 'data'), 'echo (the connection works before the error)');
  const closed = once(socket, 'close');
  socket.write('FAIL');
  await within(closed, 'socket close after an error-channel message');
  await pf.close();
});

test('a recreated pod (new UID) is not reached through the old address', async () => {
  const pf = forwards();
  const { port } = await pf.forward({ name: 'redis-app-0', uid: 'uid-1' }, 6379);
  currentUid = 'uid-2';
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await within(once(socket, 'close'), 'socket close');
  assert.equal(upgrades, [], 'no forward was opened');
  await pf.close();
});

test('close() ends open connections and listeners', async () => {
  const pf = forwards();
  const { port } = await pf.forward({ name: 'redis-app-0', uid: 'uid-1' }, 6379);
  const socket = await connect(port);
  socket.write('x');
  await within(once(socket, 'data'), 'echo');
  const closed = once(socket, 'close');
  await pf.close();
  await within(closed, 'socket close on close()');
  const refused = net.connect(port, '127.0.0.1');
  const [err] = await within(once(refused, 'error'), 'connection refused');
  assert.is((err as NodeJS.ErrnoException).code, 'ECONNREFUSED');
});

test.run();
