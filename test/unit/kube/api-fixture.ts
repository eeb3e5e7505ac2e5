import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** One request as the fixture API server received it. */
export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: string;
}

export type Reply = { status: number; body: unknown } | undefined;
/** Answers a request, or undefined to fall through to discovery / 404. */
export type Route = (req: Recorded) => Reply | Promise<Reply>;

const discovery = JSON.parse(readFileSync(new URL('../../fixtures/kube/discovery.json', import.meta.url), 'utf8')) as Record<string, unknown>;

export const status = (code: number, message: string, causes?: Array<{ field: string; message: string }>) => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code, ...(causes ? { details: { causes } } : {}) },
});

export interface ApiFixture {
  kubeconfig: string;
  requests: Recorded[];
  route: Route;
  /** WebSocket upgrades (exec, port-forward); refused when unset. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP stand-in for the Kubernetes API server: discovery for core, apps and storage, everything
 * else answered by `fixture.route` (replaceable per test), every request recorded. `kubeconfig` is a file
 * pointing at it, as a user's would.
 */
export async function startApiFixture(route: Route = () => undefined): Promise<ApiFixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'api-fixture-'));
  const fixture: ApiFixture = { kubeconfig: path.join(dir, 'kubeconfig'), requests: [], route, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://fixture');
      const rec: Recorded = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        contentType: String(req.headers['content-type'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      fixture.requests.push(rec);
      const reply = (await fixture.route(rec)) ??
        (rec.method === 'GET' && discovery[rec.path] ? { status: 200, body: discovery[rec.path] } : status(404, `fixture: no route for ${rec.method} ${rec.path}`));
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json' });
      res.end(text);
    });
  });
  server.on('upgrade', (req, socket, head) => (fixture.upgrade ? fixture.upgrade(req, socket, head) : socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  writeFileSync(fixture.kubeconfig, `apiVersion: v1
kind: Config
clusters:
  - name: fixture
    # client-node 2.x refuses plain http unless TLS verification is off.
    cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true }
users:
  - name: fixture
    user: { token: fixture-token }
contexts:
  - name: fixture
    context: { cluster: fixture, user: fixture, namespace: default }
current-context: fixture
`);
  fixture.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  };
  return fixture;
}
