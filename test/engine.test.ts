import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { EngineClient } from '../engine/client';
import { Engine } from '../engine/engine';
import { EngineError, event, method } from '../engine/feature';
import type { Reply } from '../engine/protocol';
import { RemoteEngine, type EngineChild } from '../engine/remote';

const testFeature = {
  name: 'test',
  events: { 'test.tick': event<{ x: number }>('a test event') },
  methods: {
    'test.add': method({ summary: 'adds', params: z.object({ a: z.number(), b: z.number() }).strict(), run: async ({ a, b }) => a + b }),
    'test.slow': method({
      summary: 'reports progress until cancelled',
      params: z.object({}).strict(),
      job: true,
      run: (_p, ctx) =>
        new Promise((resolve, reject) => {
          let i = 0;
          const t = setInterval(() => ctx.progress({ fraction: ++i / 100, message: `step ${i}` }), 5);
          ctx.signal.addEventListener('abort', () => {
            clearInterval(t);
            reject(ctx.signal.reason);
          });
          setTimeout(() => (clearInterval(t), resolve('finished')), 5000);
        }),
    }),
    'test.fail': method({
      summary: 'fails with a cause',
      params: z.object({}).strict(),
      run: async () => {
        throw new EngineError('could not open model.onnx', 'failed', { cause: new Error('ENOENT') });
      },
    }),
  },
};

function pair() {
  const engine = new Engine([testFeature]);
  let deliver: (r: Reply) => void = () => {};
  const conn = engine.connect((r) => queueMicrotask(() => deliver(r)));
  const client = new EngineClient({ send: (r) => conn.handle(r), onReply: (l) => (deliver = l) });
  return { engine, conn, client: client as unknown as { call(m: string, p: unknown, o?: object): Promise<any>; on: EngineClient['on'] } };
}

describe('engine', () => {
  it('validates params and names the bad field', async () => {
    const { client } = pair();
    await expect(client.call('test.add', { a: 1, b: 2 })).resolves.toBe(3);
    await expect(client.call('test.add', { a: 1, b: 'x' })).rejects.toThrow(/Invalid params for test.add: b:/);
    await expect(client.call('test.add', { a: 1, b: 2, c: 3 })).rejects.toMatchObject({ code: 'bad-request' });
  });

  it('rejects unknown methods listing the known ones', async () => {
    const { client } = pair();
    await expect(client.call('nope.nope', {})).rejects.toThrow(/Unknown method "nope.nope". Known methods: test.add/);
  });

  it('streams progress and cancels a long job', async () => {
    const { client } = pair();
    const controller = new AbortController();
    const progress: number[] = [];
    // Cancel once three progress reports have arrived (not after a fixed delay: a loaded machine may
    // deliver none in that time). The job would run 5 s and then resolve, so this fails if progress
    // never streams or the cancel does not reach the job.
    const onProgress = (x: { fraction: number }) => {
      progress.push(x.fraction);
      if (progress.length === 3) controller.abort();
    };
    const p = client.call('test.slow', {}, { signal: controller.signal, onProgress });
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    expect(progress.slice(0, 3)).toEqual([0.01, 0.02, 0.03]);
  });

  it('carries the cause of an error', async () => {
    const { client } = pair();
    await expect(client.call('test.fail', {})).rejects.toMatchObject({ message: 'could not open model.onnx', wire: { cause: 'ENOENT' } });
  });

  it('answers malformed requests with bad-request', () => {
    const { engine } = pair();
    const replies: Reply[] = [];
    const c = engine.connect((r) => replies.push(r));
    c.handle('garbage');
    c.handle({ type: 'call', id: 'x', method: 'test.add' });
    expect(replies.map((r) => r.type === 'error' && r.error.code)).toEqual(['bad-request', 'bad-request']);
  });

  it('publishes events to every connection', () => {
    const { engine } = pair();
    const a: Reply[] = [];
    const b: Reply[] = [];
    engine.connect((r) => a.push(r));
    engine.connect((r) => b.push(r));
    engine.publish('test.tick', { x: 1 });
    expect(a).toEqual([{ type: 'event', topic: 'test.tick', data: { x: 1 } }]);
    expect(b).toEqual(a);
  });
});

describe('remote engine (engine in its own process)', () => {
  function fakeChild() {
    const engine = new Engine([testFeature]);
    let toParent: (m: unknown) => void = () => {};
    let exit: (d: string) => void = () => {};
    const conn = engine.connect((r) => queueMicrotask(() => toParent(r)));
    const child: EngineChild = {
      postMessage: (m) => conn.handle(m),
      onMessage: (l) => (toParent = l),
      onExit: (l) => (exit = l),
      kill: () => exit('killed'),
    };
    return { child, crash: () => exit('exit code 134') };
  }

  it('routes replies to the right connection with its own ids', async () => {
    const remote = new RemoteEngine(() => fakeChild().child);
    remote.start();
    const got: Reply[][] = [[], []];
    const c1 = remote.connect((r) => got[0].push(r));
    const c2 = remote.connect((r) => got[1].push(r));
    c1.handle({ type: 'call', id: 7, method: 'test.add', params: { a: 1, b: 1 } });
    c2.handle({ type: 'call', id: 7, method: 'test.add', params: { a: 2, b: 2 } });
    await new Promise((r) => setTimeout(r, 10));
    expect(got[0].filter((r) => r.type === 'result')).toEqual([{ type: 'result', id: 7, result: 2 }]);
    expect(got[1].filter((r) => r.type === 'result')).toEqual([{ type: 'result', id: 7, result: 4 }]);
  });

  it('fails in-flight calls when the engine dies, reports it, and restarts', async () => {
    let current = fakeChild();
    const remote = new RemoteEngine(() => (current = fakeChild()).child);
    remote.start();
    const got: Reply[] = [];
    const c = remote.connect((r) => got.push(r));
    c.handle({ type: 'call', id: 1, method: 'test.slow', params: {} });
    current.crash();
    expect(got).toContainEqual(expect.objectContaining({ type: 'error', id: 1, error: expect.objectContaining({ code: 'engine-exited' }) }));
    expect(got).toContainEqual({ type: 'event', topic: 'engine.state', data: { state: 'closed', detail: 'exit code 134' } });
    c.handle({ type: 'call', id: 2, method: 'test.add', params: { a: 1, b: 2 } });
    expect(got.at(-1)).toMatchObject({ type: 'error', id: 2, error: { code: 'engine-exited' } });
    c.handle({ type: 'call', id: 9, method: 'engine.restart', params: {} });
    expect(got.at(-1)).toEqual({ type: 'result', id: 9, result: { restarted: true } });
    c.handle({ type: 'call', id: 3, method: 'test.add', params: { a: 1, b: 2 } });
    await new Promise((r) => setTimeout(r, 10));
    expect(got.at(-1)).toEqual({ type: 'result', id: 3, result: 3 });
  });

  it('answers the old raw restart-engine message as malformed, without restarting', () => {
    let spawned = 0;
    const remote = new RemoteEngine(() => (spawned++, fakeChild().child));
    remote.start();
    const got: Reply[] = [];
    remote.connect((r) => got.push(r)).handle({ type: 'restart-engine' });
    expect(spawned).toBe(1);
    expect(got.at(-1)).toMatchObject({ type: 'error', error: { code: 'bad-request' } });
  });

  it('engine.restart fails every pending call of every client with engine-restarted, and is rate-limited', async () => {
    let t = 0;
    const remote = new RemoteEngine(() => fakeChild().child, () => t);
    remote.start();
    const a: Reply[] = [];
    const b: Reply[] = [];
    const ca = remote.connect((r) => a.push(r));
    const cb = remote.connect((r) => b.push(r));
    ca.handle({ type: 'call', id: 1, method: 'test.slow', params: {} });
    cb.handle({ type: 'call', id: 1, method: 'test.slow', params: {} });
    cb.handle({ type: 'call', id: 2, method: 'engine.restart', params: {} });
    for (const got of [a, b]) expect(got).toContainEqual(expect.objectContaining({ type: 'error', id: 1, error: expect.objectContaining({ code: 'engine-restarted' }) }));
    expect(b).toContainEqual({ type: 'result', id: 2, result: { restarted: true } });
    expect(remote.remembered).toEqual({ routes: 0, ids: 0 });
    t += 500;
    ca.handle({ type: 'call', id: 3, method: 'engine.restart', params: {} });
    expect(a.at(-1)).toMatchObject({ type: 'error', id: 3, error: { code: 'rate-limited', message: /try again in 1\.5 s/ } });
    t += 2000;
    ca.handle({ type: 'call', id: 4, method: 'engine.restart', params: {} });
    expect(a.at(-1)).toEqual({ type: 'result', id: 4, result: { restarted: true } });
    remote.stop();
  });

  it('stop() fails pending calls instead of leaving them hanging', () => {
    const remote = new RemoteEngine(() => fakeChild().child);
    remote.start();
    const got: Reply[] = [];
    remote.connect((r) => got.push(r)).handle({ type: 'call', id: 5, method: 'test.slow', params: {} });
    remote.stop();
    expect(got).toContainEqual(expect.objectContaining({ type: 'error', id: 5, error: expect.objectContaining({ code: 'engine-exited' }) }));
  });

  it('forgets finished calls (no growth over many calls)', async () => {
    const remote = new RemoteEngine(() => fakeChild().child);
    remote.start();
    let results = 0;
    const c = remote.connect((r) => void (r.type === 'result' && results++));
    for (let i = 0; i < 5000; i++) c.handle({ type: 'call', id: i, method: 'test.add', params: { a: i, b: 1 } });
    await vi.waitFor(() => expect(results).toBe(5000));
    expect(remote.remembered).toEqual({ routes: 0, ids: 0 });
    remote.stop();
  });
});
