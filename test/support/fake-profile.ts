// A hand-made profile for tests of pure arithmetic on profiles (demand, simulator workloads): never
// shown as a measurement; real profiles come from profiler/profile.ts.
import { PROFILE_SCHEMA_VERSION, type Profile } from '../../profiler/types';

/** latency[layer][lane] in ms (null = that lane cannot run the layer); `raw` carries the same median. */
export function fakeProfile(id: string, model: string, lanes: string[], latency: (number | null)[][]): Profile {
  return {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    id,
    createdAt: '2026-01-01T00:00:00Z',
    machine: { id: 'm', hostname: 'h', cpu: 'c', cores: 2, memoryGiB: 8, os: 'linux', gpus: [] },
    ortVersion: '1.30.0',
    model: { name: model, sha256: `sha-${id}`, inputShapes: {}, opsets: { '': 17 } },
    granularity: 'group',
    lanes: lanes.map((l) => ({ id: l, ep: l.startsWith('gpu') || l === 'webgpu' ? 'webgpu' : 'cpu' })),
    layers: latency.map((row, i) => ({
      index: i,
      name: `layer${i}`,
      nodes: [`n${i}`],
      opTypes: ['Conv'],
      inputs: [],
      outputs: [{ name: `t${i}`, type: 'float32', dims: [1, 8, 4, 4] }],
      flops: 0,
      bytesMoved: 0,
      lanes: row.map((ms, k) =>
        ms === null ? { lane: lanes[k], error: 'unsupported' } : { lane: lanes[k], latencyMs: ms, raw: { median: ms, p5: ms, p95: ms, mean: ms, cv: 0, n: 1, ciHalfWidthRel: 0, converged: true } },
      ),
    })),
    wholeModel: [],
    verification: { maxAbsError: 0, maxRelError: 0, passed: true, tolerance: { rel: 1e-5 } },
    settings: { budgetSec: 1, warmup: 1, ciTarget: 0.05 },
    status: 'complete',
    warnings: [],
  };
}
