// Fuzzes a real `tessera serve` process (its engine forked, as users run it): malformed HTTP
// requests over raw TCP and malformed WebSocket messages. Pass: the process never exits, every
// HTTP request gets a status line, every WebSocket message that expects an answer gets exactly the
// answer for its id, and the security headers are on every response the server writes itself.
// Also the regression tests for the failures found by probing (issue 14, "What broke").
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { seededRandom } from '../profiler/onnx/random';

const root = join(__dirname, '..');
let home: string;
let server: ChildProcess;
let port: number;
let stderr = '';

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'tessera-fuzz-'));
  mkdirSync(join(home, 'profiles'), { recursive: true });
  writeFileSync(join(home, 'profiles', 'junk.json'), 'root:x:0:0:secret-first-line\n');
  server = spawn(process.execPath, [join(root, 'bin', 'tessera.cjs'), 'serve', '--port', '0', '--json'], { env: { ...process.env, TESSERA_HOME: home, TESSERA_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr!.on('data', (d) => (stderr += String(d)));
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    server.once('exit', (code) => reject(new Error(`tessera serve exited with ${code}: ${stderr}`)));
  });
}, 120_000);

afterAll(() => {
  server?.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

function alive(): void {
  expect(server.exitCode, `tessera serve died: ${stderr}`).toBeNull();
  expect(server.signalCode).toBeNull();
}

/** Sends raw bytes; resolves with everything received until the server closes (or 3 s pass). */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, 3000);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      // A complete response with a body length we can see: stop waiting for the close.
      const m = /\r\ncontent-length: (\d+)\r\n[\s\S]*?\r\n\r\n([\s\S]*)$/i.exec(got);
      if (m && Buffer.byteLength(m[2], 'latin1') >= Number(m[1])) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes);
  });
}

const host = () => `127.0.0.1:${port}`;
const upgrade = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: ${host()}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
const get = (target: string, extra = `Host: ${host()}\r\n`, method = 'GET') => `${method} ${target} HTTP/1.1\r\n${extra}Connection: close\r\n\r\n`;

/** Malformed and hostile HTTP requests; `ours`: the response comes from Tessera's handlers (so it must carry the security headers). */
function httpCases(): { name: string; bytes: string | Buffer; ours: boolean; status?: RegExp }[] {
  const cases: { name: string; bytes: string | Buffer; ours: boolean; status?: RegExp }[] = [
    { name: 'lone % in the path (crashed the server)', bytes: get('/%'), ours: true, status: /^400$/ },
    { name: 'raw upgrade for http://[ (crashed the server)', bytes: upgrade('http://['), ours: false, status: /^404$/ },
    { name: 'upgrade with a lone %', bytes: upgrade('/api?token=%'), ours: false },
    { name: 'DNS rebinding: Host evil.example', bytes: get('/', 'Host: evil.example\r\n'), ours: true, status: /^421$/ },
    { name: 'DNS rebinding upgrade: Host + Origin evil.example', bytes: upgrade('/api').replace(`Host: ${host()}`, `Host: evil.example:${port}\r\nOrigin: http://evil.example:${port}`), ours: false, status: /^403$/ },
    { name: '/healthz', bytes: get('/healthz'), ours: true, status: /^200$/ },
    { name: '404', bytes: get('/no-such-file.js'), ours: true, status: /^404$/ },
    { name: 'no Host header (HTTP/1.0)', bytes: 'GET / HTTP/1.0\r\n\r\n', ours: true, status: /^421$/ },
    { name: 'Host on another port', bytes: get('/', 'Host: 127.0.0.1:1\r\n'), ours: true, status: /^421$/ },
    { name: 'absolute-form target', bytes: get(`http://${host()}/`), ours: true, status: /^400$/ },
    { name: 'asterisk target', bytes: get('*', undefined, 'OPTIONS'), ours: true },
    { name: 'HTTP/2 preface', bytes: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', ours: false },
    { name: 'garbage bytes', bytes: Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]), ours: false },
    { name: 'header without colon', bytes: `GET / HTTP/1.1\r\nHost: ${host()}\r\nbroken header\r\n\r\n`, ours: false },
    { name: 'oversized header', bytes: get('/', `Host: ${host()}\r\nX-Big: ${'a'.repeat(20_000)}\r\n`), ours: false },
    { name: 'path traversal', bytes: get('/..%2f..%2fpackage.json'), ours: true, status: /^404$/ },
    { name: 'NUL in the path', bytes: get('/%00'), ours: true, status: /^400$/ },
    { name: 'POST with a body', bytes: `POST / HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`, ours: true, status: /^405$/ },
    { name: 'bad chunked body', bytes: `POST /x HTTP/1.1\r\nHost: ${host()}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`, ours: false },
    { name: 'upgrade to another path', bytes: upgrade('/not-api'), ours: false, status: /^404$/ },
    { name: 'upgrade without a key', bytes: upgrade('/api').replace(/Sec-WebSocket-Key: .*\r\n/, ''), ours: false, status: /^400$/ },
    { name: 'upgrade with a bad version', bytes: upgrade('/api').replace('Version: 13', 'Version: 99'), ours: false, status: /^400$/ },
    { name: 'upgrade with a cross origin', bytes: upgrade('/api', 'Origin: http://evil.example\r\n'), ours: false, status: /^403$/ },
    { name: 'upgrade for http://[::1', bytes: upgrade('http://[::1'), ours: false, status: /^404$/ },
    { name: 'Host with a userinfo', bytes: get('/', `Host: user@${host()}\r\n`), ours: true, status: /^421$/ },
    { name: 'IPv6 loopback Host', bytes: get('/', `Host: [::1]:${port}\r\n`), ours: true, status: /^200$/ },
  ];
  const rnd = seededRandom(14);
  const pieces = ['%', '%%', '%E0%A4%A', '%C0%AF', '%uFFFF', '..', '//', '\\', '?', '#', '%2e%2e', '[', ']', '@', ':', '%0d%0a', 'ä', '\u00ff', '{}', '%ff%fe'];
  for (let i = 0; i < 40; i++) {
    let path = '/';
    for (let k = 1 + Math.floor(rnd() * 5); k > 0; k--) path += pieces[Math.floor(rnd() * pieces.length)] + (rnd() < 0.5 ? 'x' : '');
    const upgradeIt = rnd() < 0.3;
    cases.push({ name: `random target ${JSON.stringify(path)}${upgradeIt ? ' (upgrade)' : ''}`, bytes: Buffer.from(upgradeIt ? upgrade(path) : get(path), 'latin1'), ours: !upgradeIt && !/[^\x21-\x7e]/.test(path) });
  }
  return cases;
}

describe('fuzzing tessera serve', () => {
  it('answers >= 50 malformed HTTP requests (the crashing ones included) with a status line, and stays up', async () => {
    const cases = httpCases();
    expect(cases.length).toBeGreaterThanOrEqual(50);
    for (const c of cases) {
      const response = await raw(c.bytes);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1];
      expect(status, `${c.name}: no status line in ${JSON.stringify(response.slice(0, 200))}`).toBeDefined();
      if (c.status) expect(status, c.name).toMatch(c.status);
      if (c.ours) {
        expect(response, `${c.name}: security headers`).toMatch(/\r\nreferrer-policy: no-referrer\r\n/i);
        expect(response, `${c.name}: CSP`).toMatch(/\r\ncontent-security-policy: [^\r]*connect-src 'self'( ws:\/\/(\S+) wss:\/\/\2)?;/i);
        expect(response, c.name).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
      }
      alive();
    }
    const health = await fetch(`http://${host()}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('referrer-policy')).toBe('no-referrer');
    expect(health.headers.get('content-security-policy')).toContain(`connect-src 'self' ws://${host()} wss://${host()};`);
    alive();
  }, 120_000);

  it('answers >= 2000 malformed WebSocket messages, each call with its own id, and stays up', async () => {
    const ws = new WebSocket(`ws://${host()}/api`);
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const waiting: { id: number; resolve: (r: any) => void }[] = [];
    ws.on('message', (d) => {
      const r = JSON.parse(String(d));
      if (r.type === 'event' || r.type === 'progress') return;
      const i = waiting.findIndex((w) => w.id === r.id);
      if (i >= 0) waiting.splice(i, 1)[0].resolve(r);
      else unexpected.push(r);
    });
    const unexpected: unknown[] = [];
    const send = (payload: string | Buffer, id: number, binary = false) =>
      new Promise<any>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer for id ${id} to ${String(payload).slice(0, 120)}`)), 15_000);
        waiting.push({ id, resolve: (r) => (clearTimeout(timer), resolve(r)) });
        ws.send(payload, { binary });
      });

    const messages = wsCases();
    expect(messages.length).toBeGreaterThanOrEqual(2000);
    const codes = new Map<string, number>();
    for (const m of messages) {
      const r = await send(m.payload, m.id, m.binary);
      expect(['result', 'error'], m.name).toContain(r.type);
      if (m.error) expect(r.type, `${m.name}: ${JSON.stringify(r).slice(0, 300)}`).toBe('error');
      if (r.type === 'error') {
        codes.set(r.error.code, (codes.get(r.error.code) ?? 0) + 1);
        expect(r.error.message, m.name).toMatch(/\w/);
        expect(r.error.code, `${m.name}: ${JSON.stringify(r).slice(0, 300)}`).not.toBe('failed'); // every malformed input has a proper code
        expect(JSON.stringify(r), m.name).not.toContain('secret-first-line'); // never echoes a file's content
      }
    }
    expect(unexpected).toEqual([]);
    ws.close();
    alive();
    expect(codes.get('bad-request')).toBeGreaterThan(1000);
  }, 180_000);

  it('closes a connection that sends a message over twice the limit (1009) and stays up', async () => {
    const ws = new WebSocket(`ws://${host()}/api`);
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => {});
    ws.send(Buffer.alloc(9 * 1024 * 1024, 32));
    expect(await closed).toBe(1009);
    alive();
    const again = new WebSocket(`ws://${host()}/api`);
    await new Promise((resolve, reject) => (again.once('open', resolve), again.once('error', reject)));
    again.close();
  }, 60_000);
});

interface WsCase {
  name: string;
  payload: string | Buffer;
  /** The id the answer carries (-1 when the message has none). */
  id: number;
  binary?: boolean;
  /** Must be answered with an error (not a result). */
  error?: boolean;
}

/** The id the server can tell from a message: its numeric id when it parses, else a recognisable "id":N, else -1. */
function answerId(payload: string | Buffer, binary?: boolean): number {
  if (binary || typeof payload !== 'string') return -1;
  try {
    const v = JSON.parse(payload) as { id?: unknown };
    return v !== null && typeof v === 'object' && typeof v.id === 'number' ? v.id : -1;
  } catch {
    const m = /"id"\s*:\s*(-?\d{1,15})\s*[,}]/.exec(payload.slice(0, 4096));
    return m ? Number(m[1]) : -1;
  }
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Malformed messages, deterministic (seeded). Well-formed cancels get no answer by design, so none is sent. */
function wsCases(): WsCase[] {
  const rnd = seededRandom(2014);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const out: WsCase[] = [];
  let next = 1;
  const junkValues: unknown[] = [null, true, 0, -1, 1e308, -0.5, '', 'x', '/dev/zero', '/etc/passwd', '../../../../etc/passwd', '/tmp', '/proc/self/mem', 'junk', [], {}, [1, 'a'], { a: { b: [null] } }, 'a'.repeat(5000), '\u0000', '%', '\ud800'];
  const methods: { method: string; params: Record<string, unknown> }[] = [
    { method: 'engine.info', params: {} },
    { method: 'profiles.list', params: {} },
    { method: 'profiles.get', params: { id: 'junk' } },
    { method: 'profiles.diff', params: { a: 'junk', b: '/dev/zero' } },
    { method: 'profiles.export', params: { id: '/etc/passwd', format: 'csv' } },
    { method: 'scenarios.get', params: { id: '/dev/zero' } },
    { method: 'scenarios.validate', params: { path: '/dev/zero' } },
    { method: 'scenarios.validate', params: { document: { schemaVersion: 1 }, models: 'none' } },
    { method: 'scenarios.import', params: { path: '/tmp' } },
    { method: 'runs.get', params: { id: '../../etc' } },
    { method: 'runs.export', params: { id: 'nope', file: 'trace' } },
    { method: 'live.stop', params: { runId: 'nope' } },
    { method: 'live.start', params: { scenario: { schemaVersion: 1, tenants: 'x' }, policy: 'fcfs', durationSec: 1 } },
    { method: 'live.start', params: { scenario: '/dev/zero', policy: 'fcfs', durationSec: 1 } },
    { method: 'profile.run', params: { models: ['/dev/zero'] } },
    { method: 'engine.restart', params: { now: true } },
  ];
  const valid = (id: number) => JSON.stringify({ type: 'call', id, method: 'engine.info', params: {} });

  // The reported crash: 10,000 nested arrays in params, forwarded to the engine process.
  out.push({ name: '10,000 nested arrays', payload: `{"type":"call","id":${next},"method":"engine.info","params":${nested(10_000)}}`, id: next++, error: true });
  out.push({ name: '100,000 nested objects', payload: `{"type":"call","id":${next},"method":"engine.info","params":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`, id: next++, error: true });
  out.push({ name: 'just over the depth limit', payload: `{"type":"call","id":${next},"method":"engine.info","params":{"x":${nested(64)}}}`, id: next++, error: true });
  out.push({ name: 'over the size limit', payload: `{"type":"call","id":${next},"method":"engine.info","params":{"x":"${'a'.repeat(5 * 1024 * 1024)}"}}`, id: -1, error: true });

  while (out.length < 2100) {
    const id = next++;
    const kind = Math.floor(rnd() * 9);
    switch (kind) {
      case 0: {
        const n = 1 + Math.floor(rnd() * 300);
        out.push({ name: 'random binary frame', payload: Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256))), id: -1, binary: true, error: true });
        break;
      }
      case 1: {
        const text = valid(id);
        const payload = text.slice(0, Math.floor(rnd() * (text.length - 1)));
        out.push({ name: 'truncated call', payload, id: answerId(payload), error: true });
        break;
      }
      case 2: {
        const n = 1 + Math.floor(rnd() * 200);
        const payload = `#${Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rnd() * 95))).join('')}`;
        out.push({ name: 'random text', payload, id: answerId(payload), error: true });
        break;
      }
      case 3: {
        const shapes: unknown[] = [null, 42, 'call', [1, 2], { type: 'call' }, { type: 'call', id: 'x', method: 'engine.info' }, { type: 'call', id: 1.5, method: 'engine.info' }, { type: 'call', id: 2 ** 60, method: 'engine.info' }, { type: 'cancel', id: null }, { type: 'restart-engine' }, { type: 'nope', id: 3 }, { type: 'call', id: 7 }];
        const payload = JSON.stringify(pick(shapes));
        out.push({ name: 'wrong shape', payload, id: answerId(payload), error: true });
        break;
      }
      case 4: {
        out.push({ name: 'call with a bad method', payload: JSON.stringify({ type: 'call', id, method: pick([42, null, ['x'], { m: 1 }]), params: {} }), id, error: true });
        break;
      }
      case 5: {
        out.push({ name: 'unknown method', payload: JSON.stringify({ type: 'call', id, method: pick(['', 'constructor', '__proto__', 'engine.infox', 'profiles.get.x', 'x'.repeat(500)]), params: {} }), id, error: true });
        break;
      }
      case 6: {
        // A known method with its params mutated: a value replaced by junk or an unknown key added.
        const m = pick(methods);
        const params: Record<string, unknown> = structuredClone(m.params);
        const keys = Object.keys(params);
        if (keys.length && rnd() < 0.7) params[pick(keys)] = pick(junkValues);
        else params[pick(['bogus', '__proto__', 'constructor', ''])] = pick(junkValues);
        out.push({ name: `mutated ${m.method}`, payload: JSON.stringify({ type: 'call', id, method: m.method, params }), id });
        break;
      }
      case 7: {
        const m = pick(methods);
        out.push({ name: `${m.method} with hostile files`, payload: JSON.stringify({ type: 'call', id, method: m.method, params: m.params }), id, error: m.method !== 'scenarios.validate' && m.method !== 'profiles.list' && m.method !== 'engine.info' });
        break;
      }
      default: {
        const depth = 65 + Math.floor(rnd() * 5000);
        out.push({ name: `nested ${depth} deep`, payload: `{"type":"call","id":${id},"method":"engine.info","params":{"p":${nested(depth)}}}`, id, error: true });
      }
    }
  }
  return out;
}
