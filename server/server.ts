// Browser mode: serves the built renderer and the engine API (WebSocket at /api) over HTTP.
// Binds 127.0.0.1 unless told otherwise; bound anywhere else it requires a token. No request can
// crash it: every handler is guarded, URLs and messages are checked (server/guards.ts) before they
// are parsed further or forwarded, and every response carries the security headers. On loopback
// the Host header must name this server (DNS rebinding); WebSocket upgrades from other origins are
// refused (a page on another site must not drive the engine).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Connection } from '../engine/engine';
import type { Reply } from '../engine/protocol';
import { distDir } from '../base/paths';
import { contentSecurityPolicy } from './csp';
import { mimeType } from './mime';
import { MAX_MESSAGE_BYTES, checkHost, checkOrigin, decodePath, hostOf, isLoopback, normalizeToken, parseMessage, parseRequestUrl, securityHeaders } from './guards';

export { isLoopback } from './guards';

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Required when host is not loopback; generated when not given (an empty string counts as not given). */
  token?: string;
  /** The engine to serve: in this process (tests) or a RemoteEngine in its own process (`tessera serve`). */
  engine: { connect(send: (reply: Reply) => void): Connection };
  /** Folder with the built renderer (default dist/renderer). */
  staticDir?: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  /** The URL to open, with the token when one is needed. */
  openUrl: string;
  host: string;
  port: number;
  token?: string;
  close(): Promise<void>;
  server: Server;
}



export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const token = normalizeToken(options.token) ?? (isLoopback(host) ? undefined : randomBytes(18).toString('base64url'));
  const staticDir = resolve(options.staticDir ?? join(distDir(), 'renderer'));
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${join(staticDir, 'index.html')} is missing): run \`npm run build\`.`);
  }
  let port = options.port ?? 7070;

  const server = createServer((req, res) => {
    try {
      serveHttp(req, res, { staticDir, token, host, port });
    } catch (e) {
      // A bug in a handler must not take the server down; the client gets a 500 with the headers.
      log(`http: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, cspFor(undefined), 'internal error');
      else res.destroy();
    }
  });
  // Malformed HTTP (bad request line, oversized headers): answer 400 and close; never throw.
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 2 * MAX_MESSAGE_BYTES });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy()); // a reset mid-handshake must not become an uncaught error
    try {
      const url = parseRequestUrl(req.url);
      const refusal = !url || url.pathname !== '/api' ? 'not found' : checkAccess(req, url, token, host, port);
      if (refusal) return refuseUpgrade(socket, refusal === 'not found' ? '404 Not Found' : '403 Forbidden', refusal);
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws, options.engine, log));
    } catch (e) {
      log(`upgrade: ${(e as Error).message}`);
      refuseUpgrade(socket, '400 Bad Request', 'bad request');
    }
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new Error(`Port ${options.port} on ${host} is already in use: pass --port with another port (or 0 for any free one), or stop the process using it.`, { cause: e }));
      else if (e.code === 'EADDRNOTAVAIL') reject(new Error(`Cannot bind ${host}: that address is not on this machine.`, { cause: e }));
      else if (e.code === 'EACCES') reject(new Error(`Not allowed to bind ${host}:${options.port} (ports below 1024 need privileges).`, { cause: e }));
      else reject(e);
    });
    server.listen(port, host, () => resolvePromise());
  });
  server.on('error', (e) => log(`server error: ${e.message}`));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;
  return {
    url,
    openUrl: token ? `${url}?token=${encodeURIComponent(token)}` : url,
    host,
    port,
    token,
    server,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function refuseUpgrade(socket: Duplex, status: string, why: string): void {
  if (socket.writable) socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`);
  socket.destroy();
}

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkAccess(req: IncomingMessage, url: URL, token: string | undefined, host: string, port: number): string | null {
  const refusal = checkHost(req.headers.host, host, port) ?? checkOrigin(req.headers.origin, req.headers.host);
  if (refusal) return refusal;
  if (token && !tokenMatches(url.searchParams.get('token'), token)) return 'a valid token is required (open the URL printed by `tessera serve`)';
  return null;
}

function attach(ws: WebSocket, engine: ServeOptions['engine'], log: (l: string) => void): void {
  const reply = (r: Reply) => {
    if (ws.readyState !== ws.OPEN) return;
    try {
      ws.send(JSON.stringify(r));
    } catch (e) {
      log(`websocket send: ${(e as Error).message}`);
    }
  };
  const connection = engine.connect(reply);
  ws.on('message', (data, isBinary) => {
    const checked = parseMessage(data as Buffer, isBinary);
    if (!checked.ok) return reply({ type: 'error', id: checked.id, error: { message: checked.message, code: 'bad-request' } });
    try {
      connection.handle(checked.value);
    } catch (e) {
      const id = typeof (checked.value as { id?: unknown })?.id === 'number' ? (checked.value as { id: number }).id : -1;
      reply({ type: 'error', id, error: { message: `The request could not be handled: ${(e as Error).message}`, code: 'bad-request' } });
    }
  });
  ws.on('close', () => connection.close());
  ws.on('error', (e) => log(`websocket error: ${e.message}`));
}

/** The CSP for a response: connections only to this server's own origin, as the (checked) Host names it. */
function cspFor(hostHeader: string | undefined): string {
  const h = hostOf(hostHeader);
  if (!h) return contentSecurityPolicy();
  const name = hostHeader!.toLowerCase();
  return contentSecurityPolicy([`ws://${name}`, `wss://${name}`]);
}

function send(res: ServerResponse, status: number, csp: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...securityHeaders(csp), 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra }).end(body);
}

function serveHttp(req: IncomingMessage, res: ServerResponse, s: { staticDir: string; token: string | undefined; host: string; port: number }): void {
  const hostRefusal = checkHost(req.headers.host, s.host, s.port);
  if (hostRefusal) return send(res, 421, cspFor(undefined), `misdirected request: ${hostRefusal}`);
  const csp = cspFor(req.headers.host);
  const url = parseRequestUrl(req.url);
  if (!url) return send(res, 400, csp, 'bad request: malformed URL');
  if (url.pathname === '/healthz') {
    return send(res, 200, csp, JSON.stringify({ ok: true, tokenRequired: Boolean(s.token) }), { 'content-type': 'application/json' });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, csp, 'method not allowed', { allow: 'GET, HEAD' });
  let path = decodePath(url.pathname);
  if (path === null) return send(res, 400, csp, 'bad request: malformed URL path');
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(s.staticDir, path));
  if (!file.startsWith(s.staticDir + sep) || !existsSync(file) || !statSync(file).isFile()) return send(res, 404, csp, 'not found');
  res.writeHead(200, { ...securityHeaders(csp), 'content-type': mimeType(file), 'cache-control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
}
