// Browser mode: serves the built renderer and the engine API (WebSocket at /api) over HTTP.
// Binds 127.0.0.1 unless told otherwise; bound anywhere else it requires a token. WebSocket
// upgrades from other origins are refused (a page on another site must not drive the engine).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Connection } from '../engine/engine';
import { distDir } from '../base/paths';
import { CONTENT_SECURITY_POLICY } from './csp';

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Required when host is not loopback; generated when not given. */
  token?: string;
  /** The engine to serve: in this process (tests) or a RemoteEngine in its own process (`tessera serve`). */
  engine: { connect(send: (reply: import('../engine/protocol').Reply) => void): Connection };
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

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};


export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const token = options.token ?? (isLoopback(host) ? undefined : randomBytes(18).toString('base64url'));
  const staticDir = resolve(options.staticDir ?? join(distDir(), 'renderer'));
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${join(staticDir, 'index.html')} is missing): run \`npm run build\`.`);
  }

  const server = createServer((req, res) => serveStatic(req, res, staticDir, token));
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refusal = url.pathname !== '/api' ? 'not found' : checkAccess(req, url, token);
    if (refusal) {
      socket.write(`HTTP/1.1 ${refusal === 'not found' ? '404 Not Found' : '403 Forbidden'}\r\nConnection: close\r\n\r\n${refusal}`);
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, options.engine, log));
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new Error(`Port ${options.port} on ${host} is already in use: pass --port with another port (or 0 for any free one), or stop the process using it.`, { cause: e }));
      else if (e.code === 'EADDRNOTAVAIL') reject(new Error(`Cannot bind ${host}: that address is not on this machine.`, { cause: e }));
      else if (e.code === 'EACCES') reject(new Error(`Not allowed to bind ${host}:${options.port} (ports below 1024 need privileges).`, { cause: e }));
      else reject(e);
    });
    server.listen(options.port ?? 7070, host, () => resolvePromise());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 7070);
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

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkAccess(req: IncomingMessage, url: URL, token: string | undefined): string | null {
  const origin = req.headers.origin;
  if (origin && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`) {
    return `origin ${origin} is not allowed`;
  }
  if (token && !tokenMatches(url.searchParams.get('token'), token)) return 'a valid token is required (open the URL printed by `tessera serve`)';
  return null;
}

function attach(ws: WebSocket, engine: ServeOptions['engine'], log: (l: string) => void): void {
  const connection = engine.connect((reply) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
  });
  ws.on('message', (data) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(data));
    } catch {
      ws.send(JSON.stringify({ type: 'error', id: -1, error: { message: 'Malformed request: not JSON', code: 'bad-request' } }));
      return;
    }
    connection.handle(parsed);
  });
  ws.on('close', () => connection.close());
  ws.on('error', (e) => log(`websocket error: ${e.message}`));
}

function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, token: string | undefined): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, tokenRequired: Boolean(token) }));
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  let path = decodeURIComponent(url.pathname);
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(root, path));
  if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': MIME[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
}
