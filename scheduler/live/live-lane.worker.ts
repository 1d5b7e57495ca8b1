// One lane of the live runtime: a worker (thread, or process inside Electron) that holds ONNX Runtime
// sessions for every unit it may run and executes one unit at a time. session.run() blocks this
// worker's thread, never the engine's event loop. A job's activations stay here between its layers;
// the main side asks for them ('park') when the job moves to another lane.
import * as ort from 'onnxruntime-node';
import { workerPort } from '../../base/worker-side';
import { laneSessionOptions } from '../../profiler/lane-session';
import type { CalibrationReply, FromLane, LaneWorkerData, ToLane, UnitSetup } from './protocol';
import type { WireTensor } from './types';

const port = workerPort();
const data = port.data as LaneWorkerData;
const origin = BigInt(data.originNs);
const nowUs = () => Number(process.hrtime.bigint() - origin) / 1000;

const sessions = new Map<string, ort.InferenceSession>();
const tenants = new Map<number, { units: UnitSetup[]; samples: Record<string, ort.Tensor>[]; outputs?: string[] }>();
/** Per job: its live tensors, and which of them are shared sample tensors (copied, never moved). */
const envs = new Map<number, { tensors: Map<string, ort.Tensor>; shared: Set<string> }>();
let dieAtNextRun = false;

const send = (m: FromLane, transfer?: ArrayBuffer[]) => port.post(m, transfer);

function sessionOptions(): ort.InferenceSession.SessionOptions {
  // CPU lanes without a thread count run on one thread here (the profiler's default is ORT's: all cores).
  const lane = data.lane.ep === 'cpu' ? { ...data.lane, threads: data.lane.threads ?? 1 } : data.lane;
  return laneSessionOptions(lane, { graphOptimizationLevel: 'all' });
}

function toTensor(t: WireTensor): ort.Tensor {
  return new ort.Tensor(t.type as ort.Tensor.Type, t.data as never, t.dims);
}

function tensorBytes(t: ort.Tensor): number {
  const d = t.data as ArrayBufferView;
  return d.byteLength ?? 0;
}

/** A tensor for the wire; `copy` for tensors that must stay usable here (samples). */
function toWire(t: ort.Tensor, copy: boolean, transfer: ArrayBuffer[]): WireTensor {
  const d = t.data as ArrayBufferView & { slice(): ArrayBufferView };
  const whole = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer;
  if (copy || !whole) {
    const c = d.slice();
    transfer.push(c.buffer as ArrayBuffer);
    return { type: t.type, dims: [...t.dims], data: c };
  }
  transfer.push(d.buffer as ArrayBuffer);
  return { type: t.type, dims: [...t.dims], data: d };
}

async function run(m: Extract<ToLane, { op: 'run' }>): Promise<void> {
  const recvUs = nowUs();
  if (dieAtNextRun) {
    // Fault injection: the lane dies in the middle of a job, as a crashing EP would.
    process.exit(3);
  }
  const tenant = tenants.get(m.tenant);
  const unit = tenant?.units[m.layer];
  const key = unit && (m.variant ? unit.variants?.[m.variant - 1] : unit.key);
  const session = key && sessions.get(key);
  if (!tenant || !unit || !session) {
    send({ op: 'done', seq: m.seq, job: m.job, recvUs, startUs: recvUs, endUs: recvUs, outBytes: 0, error: `lane ${data.lane.id}: tenant ${m.tenant} layer ${m.layer}${m.variant ? ` variant ${m.variant}` : ''} is not loaded` });
    return;
  }
  let env = envs.get(m.job);
  if (!env) envs.set(m.job, (env = { tensors: new Map(), shared: new Set() }));
  if (m.sample !== undefined) {
    const n = tenant.samples.length;
    const sample = tenant.samples[((m.sample % n) + n) % n];
    for (const [name, t] of Object.entries(sample)) {
      env.tensors.set(name, t);
      env.shared.add(name);
    }
  }
  if (m.tensors) {
    for (const [name, t] of Object.entries(m.tensors)) {
      env.tensors.set(name, toTensor(t));
      env.shared.delete(name);
    }
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of unit.inputs) {
    const t = env.tensors.get(name);
    if (!t) {
      send({ op: 'done', seq: m.seq, job: m.job, recvUs, startUs: recvUs, endUs: recvUs, outBytes: 0, error: `lane ${data.lane.id}: job ${m.job} layer ${m.layer} is missing its input '${name}'` });
      envs.delete(m.job);
      return;
    }
    feeds[name] = t;
  }
  let out: ort.InferenceSession.OnnxValueMapType;
  const startUs = nowUs();
  try {
    out = await session.run(feeds);
  } catch (e) {
    const endUs = nowUs();
    envs.delete(m.job);
    send({ op: 'done', seq: m.seq, job: m.job, recvUs, startUs, endUs, outBytes: 0, error: `lane ${data.lane.id}: ${key} failed: ${(e as Error).message}` });
    return;
  }
  const endUs = nowUs();
  let outBytes = 0;
  if (m.final) {
    envs.delete(m.job);
    if (m.reply) {
      // An embedder's frame: its model outputs go back (earlier layers' graph outputs were kept for this).
      const transfer: ArrayBuffer[] = [];
      const outputs: Record<string, WireTensor> = {};
      for (const name of tenant.outputs ?? unit.outputs) {
        const t = (out[name] as ort.Tensor | undefined) ?? env.tensors.get(name);
        if (t) outputs[name] = toWire(t, env.shared.has(name), transfer);
      }
      send({ op: 'done', seq: m.seq, job: m.job, recvUs, startUs, endUs, outBytes, outputs }, transfer);
      return;
    }
  } else {
    for (const name of unit.outputs) {
      const t = out[name] as ort.Tensor | undefined;
      if (!t) continue;
      env.tensors.set(name, t);
      env.shared.delete(name);
      outBytes += tensorBytes(t);
    }
    const keep = new Set(unit.keep);
    for (const name of [...env.tensors.keys()]) {
      if (!keep.has(name)) {
        env.tensors.delete(name);
        env.shared.delete(name);
      }
    }
  }
  send({ op: 'done', seq: m.seq, job: m.job, recvUs, startUs, endUs, outBytes });
}

function park(job: number): void {
  const env = envs.get(job);
  envs.delete(job);
  const transfer: ArrayBuffer[] = [];
  const tensors: Record<string, WireTensor> = {};
  let bytes = 0;
  if (env) {
    for (const [name, t] of env.tensors) {
      tensors[name] = toWire(t, env.shared.has(name), transfer);
      bytes += tensorBytes(t);
    }
  }
  send({ op: 'parked', job, tensors, sentUs: nowUs(), bytes }, transfer);
}

async function calibrate(tenantIndex: number, reps: number, warmup: number, budgetMs: number, gapMs: number): Promise<CalibrationReply> {
  const tenant = tenants.get(tenantIndex);
  if (!tenant) throw new Error(`tenant ${tenantIndex} is not set up on lane ${data.lane.id}`);
  const times: number[][] = tenant.units.map(() => []);
  const variantTimes: number[][][] = tenant.units.map((u) => (u.variants ?? []).map(() => []));
  const outBytes: number[] = tenant.units.map(() => 0);
  const t0 = performance.now();
  for (let r = 0; r < warmup + reps; r++) {
    // Paced runs: frames usually reach an idle lane after a pause, not back to back.
    if (gapMs > 0 && r > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    // One whole job: the chain of units on real activations, as the live run executes it.
    const env = new Map<string, ort.Tensor>(Object.entries(tenant.samples[r % tenant.samples.length]));
    for (let i = 0; i < tenant.units.length; i++) {
      const unit = tenant.units[i];
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of unit.inputs) {
        const t = env.get(name);
        if (!t) throw new Error(`${unit.key}: missing input '${name}'`);
        feeds[name] = t;
      }
      const s = sessions.get(unit.key)!;
      const a = performance.now();
      const out = await s.run(feeds);
      const b = performance.now();
      if (r >= warmup) times[i].push(b - a);
      // Each variant on the same inputs, right after: paired with the original's time.
      for (const [k, vk] of (unit.variants ?? []).entries()) {
        const vs = sessions.get(vk);
        if (!vs) continue;
        const c = performance.now();
        await vs.run(feeds);
        if (r >= warmup) variantTimes[i][k].push(performance.now() - c);
      }
      let bytes = 0;
      for (const name of unit.outputs) {
        const t = out[name] as ort.Tensor | undefined;
        if (t) {
          env.set(name, t);
          bytes += tensorBytes(t);
        }
      }
      outBytes[i] = bytes;
    }
    if (r >= warmup + 2 && performance.now() - t0 > budgetMs) break;
  }
  return { times, outBytes, ...(variantTimes.some((u) => u.length) ? { variantTimes } : {}) };
}

port.onMessage(async (m: ToLane) => {
  switch (m.op) {
    case 'run':
      await run(m);
      return;
    case 'park':
      park(m.job);
      return;
    case 'free':
      envs.delete(m.job);
      return;
    case 'crash':
      dieAtNextRun = true;
      return;
    case 'ping':
      send({ op: 'pong', seq: m.seq, sentUs: m.sentUs, recvUs: nowUs() });
      return;
    case 'load':
      try {
        const t0 = performance.now();
        const rssBefore = process.memoryUsage().rss;
        const s = await ort.InferenceSession.create(m.bytes, sessionOptions());
        sessions.set(m.key, s);
        send({ op: 'reply', seq: m.seq, ok: true, value: { ms: performance.now() - t0, inputs: s.inputNames, outputs: s.outputNames, rssBefore, rssAfter: process.memoryUsage().rss } });
      } catch (e) {
        send({ op: 'reply', seq: m.seq, ok: false, error: (e as Error).message });
      }
      return;
    case 'tenant':
      tenants.set(m.tenant, { units: m.units, samples: m.samples.map((s) => Object.fromEntries(Object.entries(s).map(([k, t]) => [k, toTensor(t)]))), outputs: m.outputs });
      send({ op: 'reply', seq: m.seq, ok: true });
      return;
    case 'calibrate':
      try {
        send({ op: 'reply', seq: m.seq, ok: true, value: await calibrate(m.tenant, m.reps, m.warmup, m.budgetMs, m.gapMs ?? 0) });
      } catch (e) {
        send({ op: 'reply', seq: m.seq, ok: false, error: (e as Error).message });
      }
      return;
  }
});
