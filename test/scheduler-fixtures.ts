// Small hand-checkable workloads for the scheduler tests.
import type { SimWorkload } from '../scheduler/core/types';

/** Two lanes (cpu, gpu with a link), tenant a (2 layers, 50 fps) and b (1 layer, cpu only, cascade from a with p = 0.5). */
export function tiny(): SimWorkload {
  return {
    name: 'tiny',
    lanes: [
      { id: 'cpu', kind: 'cpu', idleWatts: 1, busyWatts: 10 },
      { id: 'gpu', kind: 'gpu', idleWatts: 2, busyWatts: 20, link: { latency: 0.0001, bytesPerSec: 1e9 } },
    ],
    tenants: [
      {
        id: 'a',
        model: 'ma',
        layers: [0, 1].map((i) => ({ name: `a${i}`, outputBytes: 1000, variants: [{ id: 'o', accuracyDelta: 0, cost: [{ latency: 0.004 }, { latency: 0.001 }] }] })),
        arrival: { type: 'periodic', fps: 50 },
        deadline: 0.02,
        priority: 3,
      },
      {
        id: 'b',
        model: 'mb',
        layers: [{ name: 'b0', outputBytes: 0, variants: [{ id: 'o', accuracyDelta: 0, cost: [{ latency: 0.002 }, null] }] }],
        arrival: { type: 'periodic', fps: 20 },
        deadline: 0.05,
        priority: 1,
        cascade: { upstream: 'a', probability: 0.5 },
      },
    ],
    latencySource: { kind: 'synthetic', detail: 'test table' },
    energySource: { kind: 'estimated', detail: 'test watts' },
  };
}

/** One lane, one tenant with `layers` layers of `lat` seconds, at `fps`. */
export function oneLane(layers: number, lat: number, fps: number, deadline?: number): SimWorkload {
  return {
    name: 'one lane',
    lanes: [{ id: 'acc', kind: 'npu', idleWatts: 1, busyWatts: 5 }],
    tenants: [
      {
        id: 't',
        model: 'm',
        layers: Array.from({ length: layers }, (_, i) => ({ name: `l${i}`, outputBytes: 0, variants: [{ id: 'o', accuracyDelta: 0, cost: [{ latency: lat }] }] })),
        arrival: { type: 'periodic', fps },
        deadline,
        priority: 1,
      },
    ],
    latencySource: { kind: 'synthetic', detail: 'test' },
    energySource: { kind: 'estimated', detail: 'test' },
  };
}
