import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApiServer, discovery, pageNotFound, type Recorded, type Reply } from './api-server.ts';
import { messageOf } from '../../../src/errors.ts';
import { discoveryRoot, openapiV3 } from './discovery-docs.ts';

import type { Test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';

export type { Recorded, Reply } from './api-server.ts';
/** Answers a request, or undefined to let the emulated API server answer it. */
export type Route = (req: Recorded) => Reply | Promise<Reply>;

/** A failure Status with optional causes (for a per-test route that answers as some server would). */
export const status = (code: number, message: string, causes?: Array<{ field: string; message: string }>) => ({
  status: code,
  body: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    code,
    ...(causes ? { details: { causes } } : {}),
  },
});

const openapiBody = (p: string): Reply => {
  const doc = discoveryRoot(p) ?? openapiV3(p);
  return doc ? { status: 200, body: doc } : undefined;
};

export interface ApiFixture {
  kubeconfig: string;
  /** The fixture's address, http://127.0.0.1:<port>. */
  url: string;
  requests: Recorded[];
  /** TCP connections the clients opened to it (keep-alive reuse shows here). */
  connections: number;
  /** Per-test override, asked first; undefined falls through to `server`. */
  route: Route;
  /** The emulated API server and controllers (see api-server.ts); replace it for a fresh cluster. */
  server: ApiServer;
  /** Authorization before anything else answers (RBAC: api-rbac.ts): a refusal, or undefined to go on. Unset: every
   * request is allowed (the fixture's token is the cluster admin's). */
  authorize?: (req: Recorded, authorization: string | undefined) => Reply;
  /** WebSocket upgrades (exec, port-forward); refused when unset. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP stand-in for the Kubernetes API server: `route` (replaceable per test) first, then the
 * stateful emulation in `server` (objects, controllers, admission), then discovery for core, apps and storage;
 * every request recorded. `kubeconfig` is a file pointing at it, as a user's would.
 */
export async function startApiFixture(route: Route = () => undefined): Promise<ApiFixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'api-fixture-'));
  const fixture: ApiFixture = {
    kubeconfig: path.join(dir, 'kubeconfig'),
    url: '',
    requests: [],
    connections: 0,
    route,
    server: new ApiServer(),
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const serve = async (): Promise<void> => {
      const url = new URL(req.url ?? '/', 'http://fixture');
      const rec: Recorded = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
      };
      fixture.requests.push(rec);
      const routed = fixture.authorize?.(rec, req.headers.authorization) ?? (await fixture.route(rec));
      if (!routed && rec.method === 'GET' && rec.query.get('watch') === 'true') {
        // A watch stays open and streams events until the client (or close()) ends it.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        const stop = fixture.server.watch(rec, (line) => res.write(line));
        if (stop) {
          res.on('close', stop);
          return;
        }
        res.end();
        return;
      }
      const reply =
        routed ??
        fixture.server.handle(rec) ??
        (rec.method === 'GET' && discovery[rec.path] ? { status: 200, body: discovery[rec.path] } : undefined) ??
        (rec.method === 'GET' ? openapiBody(rec.path) : undefined) ??
        pageNotFound();
      rec.status = reply.status;
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
      });
      res.end(text);
    };
    req.on('end', () => {
      // A route that throws answers 500, as the API server answers an internal error, instead of leaving the
      // client waiting and the rejection unhandled (which ends the test process).
      serve().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fixture error: ${messageOf(err)}`);
      });
    });
  });
  server.on('connection', () => fixture.connections++);
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const rec = { method: req.method ?? '', path: url.pathname, query: url.searchParams, contentType: '', body: '' };
    const refused = fixture.authorize?.(rec, req.headers.authorization);
    if (refused) {
      // The API server answers a refused upgrade as any request: the Status, no switch of protocols.
      const text = JSON.stringify(refused.body);
      socket.end(
        `HTTP/1.1 ${refused.status} ${STATUS_CODES[refused.status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
      return;
    }
    if (fixture.upgrade) fixture.upgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fixture.url = `http://127.0.0.1:${port}`;
  writeFileSync(
    fixture.kubeconfig,
    `apiVersion: v1
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
`,
  );
  fixture.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  };
  return fixture;
}

/**
 * One fixture for a suite, started before its first test and closed after its last; each test gets a fresh
 * emulated cluster with `namespaces`, no recorded requests and no route. Returns the fixture's getter.
 */
export function suiteFixture(suite: Test, namespaces: string[]): () => ApiFixture {
  let fixture: ApiFixture | undefined;
  beforeAll(suite, async () => {
    fixture = await startApiFixture();
  });
  suite.after(() => fixture?.close());
  suite.before.each(() => {
    if (!fixture) return;
    fixture.requests.length = 0;
    fixture.route = () => undefined;
    fixture.server = new ApiServer({ namespaces });
  });
  return () => fixture!;
}

/** A raw request to the fixture with a JSON body (for what no client call sends as needed). */
export const sendJson = (fixture: ApiFixture, method: string, path: string, contentType: string, body: unknown) =>
  fetch(`${fixture.url}${path}`, { method, headers: { 'content-type': contentType }, body: JSON.stringify(body) });
