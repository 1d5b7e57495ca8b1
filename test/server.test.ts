import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEngine } from '../engine/local';
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
