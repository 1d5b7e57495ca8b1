// One lane's measurement worker. It runs in its own process (see measure.ts), so an execution
// provider that crashes or hangs takes down only this lane's worker. Requests are handled one at a
// time; each reply carries the request id.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { baselineModel, gemmModel, laneSessionOptions, parseOrtTrace, timerResolutionMs, timeRuns, toOrtTensor, type WireTensor } from './measure-core';
import { probeModel } from './onnx/builder';
import { workerPort } from '../base/worker-side';
import type { LaneSpec } from './types';
import type { WorkerRequest, WorkerTestHooks } from './measure';

const port = workerPort();
const data = (port.data ?? {}) as { lane: LaneSpec; hooks?: WorkerTestHooks };
const lane = data.lane;
const hooks = data.hooks ?? {};
const profileDir = mkdtempSync(join(tmpdir(), 'tessera-ortprof-'));
process.on('exit', () => rmSync(profileDir, { recursive: true, force: true }));

interface Loaded {
  key: string;
  session: ort.InferenceSession;
  feeds: Record<string, ort.Tensor>;
  bytes: Uint8Array;
  wireFeeds: Record<string, WireTensor>;
}
let current: Loaded | undefined;

function testHook(key: string): void {
  if (hooks.crashAt === key) process.kill(process.pid, 'SIGSEGV');
  if (hooks.hangAt === key) {
    // A native hang: the event loop never comes back.
    const end = Date.now() + 3_600_000;
    while (Date.now() < end) {
      /* spin */
    }
  }
}

async function load(key: string, bytes: Uint8Array, wireFeeds: Record<string, WireTensor>): Promise<Loaded> {
  testHook(key);
  if (current?.key === key) return current;
  await current?.session.release();
  current = undefined;
  const session = await ort.InferenceSession.create(bytes, laneSessionOptions(lane));
  const feeds = Object.fromEntries(Object.entries(wireFeeds).map(([k, v]) => [k, toOrtTensor(v)]));
  current = { key, session, feeds, bytes, wireFeeds };
  return current;
}

function requireLoaded(key: string): Loaded {
  if (!current || current.key !== key) throw new Error(`worker: ${key} is not loaded`);
  return current;
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'init': {
      // A real tiny session proves the EP runs here before any layer is tried.
      const s = await ort.InferenceSession.create(probeModel(16), laneSessionOptions(lane));
      const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(16).fill(1), [1, 16]) });
      if (!(out.y.data as Float32Array).every(Number.isFinite)) throw new Error('probe model produced non-finite output');
      await s.release();
      return { ortVersion: ort.env.versions.common, pid: process.pid };
    }
    case 'load': {
      const t0 = performance.now();
      await load(req.key, req.bytes, req.feeds);
      return { createMs: performance.now() - t0 };
    }
    case 'measure': {
      testHook(`measure:${req.key}`);
      const l = requireLoaded(req.key);
      const r = await timeRuns(() => l.session.run(l.feeds), { warmup: req.warmup, rule: req.rule });
      return { stats: r.stats, stop: r.stop, elapsedMs: r.elapsedMs, warmupRuns: r.warmupRuns };
    }
    case 'baseline': {
      const b = baselineModel();
      const l = await load('__baseline', b.bytes, b.feeds);
      const r = await timeRuns(() => l.session.run(l.feeds), { warmup: req.warmup, rule: req.rule });
      return { stats: r.stats, timerResolutionMs: timerResolutionMs() };
    }
    case 'peak': {
      let best = { gflops: 0, n: 0, medianMs: 0 };
      for (const n of req.sizes) {
        const g = gemmModel(n);
        const l = await load(`__gemm${n}`, g.bytes, g.feeds);
        const r = await timeRuns(() => l.session.run(l.feeds), { warmup: 2, rule: req.rule });
        const ms = Math.max(1e-6, r.stats.median - (req.baselineMs ?? 0));
        const gflops = g.flops / (ms / 1000) / 1e9;
        if (gflops > best.gflops) best = { gflops, n, medianMs: r.stats.median };
      }
      return best;
    }
    case 'profile': {
      // The same model, a separate session with ORT's profiler on; the trace file is parsed and deleted.
      testHook(`profile:${req.key}`);
      const l = requireLoaded(req.key);
      const prefix = join(profileDir, `p${req.id}`);
      const s = await ort.InferenceSession.create(l.bytes, laneSessionOptions(lane, { enableProfiling: true, profileFilePrefix: prefix }));
      try {
        for (let i = 0; i < req.warmup + req.runs; i++) await s.run(l.feeds);
      } finally {
        s.endProfiling();
        await s.release();
      }
      const files = readdirSync(profileDir).filter((f) => f.startsWith(`p${req.id}_`) && f.endsWith('.json'));
      if (files.length === 0) throw new Error('ORT wrote no profile file');
      const file = join(profileDir, files[files.length - 1]);
      try {
        return parseOrtTrace(readFileSync(file, 'utf8'), req.warmup);
      } finally {
        for (const f of files) rmSync(join(profileDir, f), { force: true });
      }
    }
    case 'loop': {
      // Runs the loaded model back to back for a window, while the host samples a power meter.
      const l = requireLoaded(req.key);
      const t0 = performance.now();
      let runs = 0;
      while (performance.now() - t0 < req.durationMs) {
        await l.session.run(l.feeds);
        runs++;
      }
      return { runs, ms: performance.now() - t0 };
    }
    case 'chain': {
      // Chained verification on this lane: each layer's own session on this EP, fed by the previous
      // layers' outputs (never by the CPU's captured tensors), so errors accumulate as they would live.
      const values = new Map<string, ort.Tensor>(Object.entries(req.feeds).map(([k, v]) => [k, toOrtTensor(v)]));
      const tensors: Record<string, WireTensor> = {};
      for (let i = 0; i < req.layers.length; i++) {
        const l = req.layers[i];
        let s: ort.InferenceSession | undefined;
        try {
          s = await ort.InferenceSession.create(l.bytes, laneSessionOptions(lane));
          const feeds: Record<string, ort.Tensor> = {};
          for (const name of s.inputNames) {
            const t = values.get(name);
            if (!t) throw new Error(`input '${name}' is produced by no earlier layer`);
            feeds[name] = t;
          }
          const out = await s.run(feeds);
          for (const name of l.outputs) {
            if (!out[name]) throw new Error(`output '${name}' missing`);
            values.set(name, out[name]);
            tensors[name] = { type: out[name].type, dims: [...out[name].dims], data: out[name].data as ArrayBufferView };
          }
        } catch (e) {
          return { tensors, error: { layer: i, name: l.name, message: (e instanceof Error ? e.message : String(e)).split('\n')[0] } };
        } finally {
          await s?.release();
        }
      }
      return { tensors };
    }
    case 'echo':
      return { payload: req.payload };
    case 'release': {
      await current?.session.release();
      current = undefined;
      return {};
    }
  }
}

let queue: Promise<void> = Promise.resolve();
port.onMessage((req: WorkerRequest) => {
  queue = queue.then(async () => {
    try {
      port.post({ id: req.id, ok: true, result: await handle(req) });
    } catch (e) {
      port.post({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  });
});
port.post({ id: 0, ok: true, result: { ready: true } });
