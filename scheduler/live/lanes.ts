// Lane specs from the command line / UI: "cpu:1,cpu:1", "cpu:4,webgpu", "cpu:1,webgpu:sw". Ids follow the profiler's
// convention (profiler/types.ts LaneSpec): "cpu:2", a second identical lane "cpu:2#1".
import { availableParallelism } from 'node:os';
import type { LaneSpec } from '../../profiler/types';

const EPS = new Set(['cpu', 'webgpu', 'cuda', 'dml', 'coreml', 'tensorrt', 'rocm', 'migraphx', 'xnnpack', 'qnn']);

export function parseLanes(text: string): LaneSpec[] {
  const out: LaneSpec[] = [];
  const seen = new Map<string, number>();
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]+)(?::(\d+|sw))?$/.exec(raw);
    if (!m || !EPS.has(m[1])) throw new Error(`lane "${raw}": expected EP[:THREADS] with EP one of ${[...EPS].join(', ')} (e.g. cpu:2, webgpu, webgpu:sw)`);
    if (m[2] === 'sw') {
      // A software GPU driver on purpose (profiler/gpu/environment.ts sets up the lane's process).
      if (m[1] !== 'webgpu') throw new Error(`lane "${raw}": ":sw" (a software GPU driver) applies to webgpu lanes only`);
      const n = seen.get(raw) ?? 0;
      seen.set(raw, n + 1);
      out.push({ id: n ? `${raw}#${n}` : raw, ep: 'webgpu', software: true });
      continue;
    }
    if (m[2] !== undefined && m[1] !== 'cpu') throw new Error(`lane "${raw}": a thread count applies to cpu lanes only`);
    const threads = m[2] !== undefined ? Number(m[2]) : m[1] === 'cpu' ? 1 : undefined;
    if (threads !== undefined && !(threads >= 1 && threads <= 256)) throw new Error(`lane "${raw}": threads must be 1..256`);
    const base = m[1] === 'cpu' ? `cpu:${threads}` : m[1];
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({ id: n ? `${base}#${n}` : base, ep: m[1], ...(m[1] === 'cpu' ? { threads } : {}) });
  }
  if (out.length === 0) throw new Error('no lanes given');
  return out;
}

/** Two CPU lanes splitting the cores (one core left for the engine when there are more than 2). */
export function defaultLanes(): LaneSpec[] {
  const cores = availableParallelism();
  const per = Math.max(1, Math.floor((cores > 2 ? cores - 1 : cores) / 2));
  return parseLanes(`cpu:${per},cpu:${per}`);
}
