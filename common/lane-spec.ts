// The lane grammar, in one place: the profiler, the live runtime, the CLI and the renderer's
// pre-check all parse lane lists with it. Pure (no Node, no I/O): the caller passes the core count.
//
//   lane   = EP [":" THREADS | ":sw"] ["#" K]      e.g. cpu, cpu:2, cpu:1#2, webgpu, webgpu:sw, cuda
//   lanes  = lane ("," lane)*                      repeated ids get #1, #2 so every id is unique

/** A lane: one execution target the scheduler can hand work to. */
export interface LaneSpec {
  /** Stable id, e.g. "cpu:2" (cpu EP, 2 intra-op threads), "cpu:2#1" (second CPU lane), "webgpu". */
  id: string;
  /** ONNX Runtime execution provider name: cpu, webgpu, cuda, dml, coreml. */
  ep: string;
  /** Intra-op threads for CPU lanes. */
  threads?: number;
  /** Extra EP / session options that define the lane. */
  options?: Record<string, string | number | boolean>;
  /** Asked for a software GPU driver on purpose (`webgpu:sw`): slow, shares the CPU cores, never a GPU figure. */
  software?: boolean;
}

/** The execution providers a lane may name (whether this machine's onnxruntime build has one is checked when a lane starts). */
export const KNOWN_EPS: readonly string[] = ['cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'rocm', 'migraphx', 'qnn', 'openvino', 'xnnpack'];

/**
 * Parses one lane id: `cpu` (all `cores`), `cpu:T` (T intra-op threads), `cpu:T#k` (the k-th lane
 * of that kind, for several CPU lanes), `webgpu`, `webgpu:sw` (a software GPU driver, on purpose),
 * `cuda`, `dml`, `coreml`, ... Throws an Error naming the bad lane and what is expected.
 */
export function parseLaneSpec(text: string, cores: number): LaneSpec {
  const s = text.trim();
  const m = /^([a-z][a-z0-9_-]*)(?::(\d+|sw))?(?:#(\d+))?$/i.exec(s);
  if (!m) throw new Error(`bad lane "${text}": expected e.g. cpu, cpu:2, cpu:1#2, webgpu, webgpu:sw`);
  const ep = m[1].toLowerCase();
  if (!KNOWN_EPS.includes(ep)) throw new Error(`unknown execution provider "${ep}" in lane "${text}" (known: ${KNOWN_EPS.join(', ')})`);
  const suffix = m[3] !== undefined ? `#${m[3]}` : '';
  if (m[2]?.toLowerCase() === 'sw') {
    if (ep !== 'webgpu') throw new Error(`lane "${text}": ":sw" (a software GPU driver) applies to webgpu lanes only`);
    return { id: `webgpu:sw${suffix}`, ep, software: true };
  }
  if (ep === 'cpu') {
    const threads = m[2] !== undefined ? Number(m[2]) : cores;
    if (!(threads >= 1)) throw new Error(`lane "${text}": thread count must be >= 1`);
    return { id: `cpu:${threads}${suffix}`, ep, threads };
  }
  if (m[2] !== undefined) throw new Error(`lane "${text}": a thread count applies to cpu lanes only`);
  return { id: `${ep}${suffix}`, ep };
}

/** Comma-separated lanes; repeated ids get #1, #2 suffixes so every lane id is unique. */
export function parseLanes(list: string | string[], cores: number): LaneSpec[] {
  const parts = (Array.isArray(list) ? list : list.split(',')).map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error('no lanes given: e.g. cpu:1,cpu:1');
  const lanes = parts.map((p) => parseLaneSpec(p, cores));
  const seen = new Map<string, number>();
  for (const l of lanes) {
    const k = seen.get(l.id) ?? 0;
    seen.set(l.id, k + 1);
    if (k > 0) l.id = `${l.id}#${k}`;
  }
  return lanes;
}

/** The problem with a lanes string, or undefined if it parses (for forms that check before they send). */
export function laneListProblem(list: string, cores = 1): string | undefined {
  try {
    parseLanes(list, cores);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
