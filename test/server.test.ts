import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEngine } from '../engine/local';
import { CONTENT_SECURITY_POLICY, contentSecurityPolicy } from '../server/csp';
import { checkHost, checkOrigin, decodePath, jsonDepth, MAX_MESSAGE_BYTES, MAX_MESSAGE_DEPTH, normalizeToken, parseMessage, parseRequestUrl, securityHeaders } from '../server/guards';
import { isLoopback, startServer, type RunningServer } from '../server/server';

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

async function serve(opts: { token?: string; port?: number } = {}) {
  const s = await startServer({ engine: createEngine(), port: opts.port ?? 0, token: opts.token });
  running.push(s);
  return s;
}

function open(url: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.on('error', () => resolve({ status: -1 }));
  });
}

function call(ws: WebSocket, msg: unknown): Promise<any> {
  return new Promise((resolve) => {
    ws.once('message', (d) => resolve(JSON.parse(String(d))));
    ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  });
}

describe('browser-mode server', () => {
  it('binds loopback by default and serves the renderer with a CSP', async () => {
    const s = await serve();
    expect(s.host).toBe('127.0.0.1');
    const res = await fetch(s.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await res.text()).toMatch(/<div id="app">/);
    expect((await fetch(`${s.url}..%2f..%2fpackage.json`)).status).toBe(404);
  });

  it('serves the API over WebSocket and rejects malformed requests clearly', async () => {
    const s = await serve();
    const { ws } = await open(`ws://127.0.0.1:${s.port}/api`);
    expect(ws).toBeDefined();
    const info = await call(ws!, { type: 'call', id: 1, method: 'engine.info', params: {} });
    expect(info).toMatchObject({ type: 'result', id: 1, result: { ort: '1.30.0' } });
    expect(await call(ws!, 'not json')).toMatchObject({ type: 'error', error: { code: 'bad-request', message: /not JSON/ } });
    expect(await call(ws!, { type: 'call', id: 2, method: 'engine.info', params: { bogus: 1 } })).toMatchObject({ error: { code: 'bad-request' } });
    ws!.close();
  });

  it('requires the token when one is set, and refuses other origins', async () => {
    const s = await serve({ token: 'sekret-token' });
    expect(s.openUrl).toContain('token=sekret-token');
    expect((await open(`ws://127.0.0.1:${s.port}/api`)).status).toBe(403);
    expect((await open(`ws://127.0.0.1:${s.port}/api?token=wrong`)).status).toBe(403);
    expect((await open(`ws://127.0.0.1:${s.port}/api?token=sekret-token`, { Origin: 'http://evil.example' })).status).toBe(403);
    const ok = await open(`ws://127.0.0.1:${s.port}/api?token=sekret-token`, { Origin: `http://127.0.0.1:${s.port}` });
    expect(ok.ws).toBeDefined();
    ok.ws!.close();
  });

  it('generates a token when bound beyond loopback', async () => {
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('127.0.0.1')).toBe(true);
    const s = await startServer({ engine: createEngine(), host: '0.0.0.0', port: 0 });
    running.push(s);
    expect(s.token).toMatch(/^[\w-]{20,}$/);
  });

  it('says clearly when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    await expect(serve({ port })).rejects.toThrow(new RegExp(`Port ${port} on 127.0.0.1 is already in use: pass --port`));
    blocker.close();
  });
});

describe('request guards (server/guards.ts)', () => {
  it('parses hostile URLs and paths without throwing', () => {
    expect(parseRequestUrl('/%')).not.toBeNull();
    expect(decodePath('/%')).toBeNull();
    expect(decodePath('/%E0%A4%A')).toBeNull();
    expect(decodePath('/a%00b')).toBeNull();
    expect(decodePath('/a%20b')).toBe('/a b');
    expect(parseRequestUrl('http://[')).toBeNull();
    expect(parseRequestUrl('*')).toBeNull();
    expect(parseRequestUrl(undefined)).toBeNull();
  });

  it('DNS rebinding: on loopback only loopback Hosts (or the bound host) on our port pass', () => {
    expect(checkHost('127.0.0.1:7070', '127.0.0.1', 7070)).toBeNull();
    expect(checkHost('localhost:7070', '127.0.0.1', 7070)).toBeNull();
    expect(checkHost('[::1]:7070', '127.0.0.1', 7070)).toBeNull();
    expect(checkHost('evil.example:7070', '127.0.0.1', 7070)).toMatch(/not this server/);
    expect(checkHost('127.0.0.1:80', '127.0.0.1', 7070)).toMatch(/another port/);
    expect(checkHost(undefined, '127.0.0.1', 7070)).toMatch(/Host header/);
    expect(checkHost('user@127.0.0.1:7070', '127.0.0.1', 7070)).toMatch(/Host header/);
    expect(checkHost('anything.example', '0.0.0.0', 7070)).toBeNull(); // beyond loopback the token protects
    expect(checkOrigin('http://evil.example:7070', 'evil.example:7070')).toBeNull(); // so Host is checked first
    expect(checkOrigin('http://evil.example', '127.0.0.1:7070')).toMatch(/not allowed/);
  });

  it('an empty token is no token', () => {
    expect(normalizeToken('')).toBeUndefined();
    expect(normalizeToken('  ')).toBeUndefined();
    expect(normalizeToken('t')).toBe('t');
  });

  it('measures JSON depth without parsing (strings skipped) and refuses deep, big or binary messages', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[["}]}')).toBe(3);
    expect(jsonDepth('['.repeat(100_000))).toBe(MAX_MESSAGE_DEPTH + 1); // stops counting early
    expect(parseMessage(Buffer.from(`{"type":"call","id":9,"params":${'['.repeat(10_000)}${']'.repeat(10_000)}}`), false)).toMatchObject({ ok: false, id: 9, message: /nested more than 64/ });
    expect(parseMessage(Buffer.from('{"id":1}'), true)).toMatchObject({ ok: false, message: /binary/ });
    expect(parseMessage(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 32), false)).toMatchObject({ ok: false, message: /over the/ });
    expect(parseMessage(Buffer.from('{"type":"call","id":3,"method":'), false)).toMatchObject({ ok: false, id: 3, message: /not JSON/ });
    expect(parseMessage(Buffer.from('{"a":[[1]]}'), false)).toEqual({ ok: true, value: { a: [[1]] } });
  });

  it('security headers include Referrer-Policy no-referrer; the CSP connects only to the served origin', () => {
    expect(securityHeaders('x')).toMatchObject({ 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff', 'content-security-policy': 'x' });
    expect(contentSecurityPolicy(['ws://127.0.0.1:1'])).toContain("connect-src 'self' ws://127.0.0.1:1;");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self';");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/ws:( |;)|wss:( |;)/);
  });
});

describe('browser-mode server hardening', () => {
  it('serves a generated token when bound beyond loopback with an empty token', async () => {
    const s = await startServer({ engine: createEngine(), host: '0.0.0.0', port: 0, token: '' });
    running.push(s);
    expect(s.token).toMatch(/^[\w-]{20,}$/);
    expect((await open(`ws://127.0.0.1:${s.port}/api?token=`)).status).toBe(403);
  });

  it('refuses a rebound Host over HTTP and WebSocket; headers on 404 and /healthz', async () => {
    const s = await serve();
    expect((await open(`ws://127.0.0.1:${s.port}/api`, { Host: `evil.example:${s.port}`, Origin: `http://evil.example:${s.port}` })).status).toBe(403);
    for (const path of ['healthz', 'nope.js', '']) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('content-security-policy'), path).toContain(`connect-src 'self' ws://127.0.0.1:${s.port} wss://127.0.0.1:${s.port};`);
    }
  });

  it('answers a message nested 10,000 deep with bad-request and keeps serving', async () => {
    const s = await serve();
    const { ws } = await open(`ws://127.0.0.1:${s.port}/api`);
    expect(await call(ws!, `{"type":"call","id":4,"method":"engine.info","params":${'['.repeat(10_000)}${']'.repeat(10_000)}}`)).toMatchObject({ type: 'error', id: 4, error: { code: 'bad-request' } });
    expect(await call(ws!, { type: 'call', id: 5, method: 'engine.info', params: {} })).toMatchObject({ type: 'result', id: 5 });
    ws!.close();
  });
});
