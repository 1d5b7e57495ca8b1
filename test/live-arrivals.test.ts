// The live runtime releases frames and fires cascades with the simulator's numbers, so that a live
// run and its prediction see the same frames. This pins that equality (pure, no workers).
import { describe, expect, it } from 'vitest';
import { fcfs } from '../scheduler/core/policies';
import { simulate } from '../scheduler/core/simulator';
import type { SimWorkload } from '../scheduler/core/types';
import { ArrivalStream, cascadeFires } from '../scheduler/live/arrivals';

const layer = (ms: number) => ({ name: 'l', outputBytes: 1000, variants: [{ id: 'o', accuracyDelta: 0, cost: [{ latency: ms / 1000 }, { latency: ms / 1000 }] }] });

const workload: SimWorkload = {
  name: 'arrivals',
  lanes: [
    { id: 'a', kind: 'cpu', idleWatts: 0, busyWatts: 5 },
    { id: 'b', kind: 'cpu', idleWatts: 0, busyWatts: 5 },
  ],
  tenants: [
    { id: 'cam', model: 'm', layers: [layer(2), layer(1)], arrival: { type: 'periodic', fps: 50, jitter: 0.003, phase: 0.001 }, priority: 9 },
    { id: 'kw', model: 'm', layers: [layer(1)], arrival: { type: 'poisson', ratePerSec: 40 }, priority: 1, deadline: 0.1 },
    { id: 'cls', model: 'm', layers: [layer(3)], arrival: { type: 'periodic', fps: 50 }, priority: 3, cascade: { upstream: 'cam', probability: 0.4 } },
  ],
  latencySource: { kind: 'synthetic', detail: 'test table' },
  energySource: { kind: 'estimated', detail: 'test watts' },
};

describe('live arrivals match the simulator', () => {
  for (const seed of [1, 7, 42]) {
    it(`releases the same frames at the same times (seed ${seed})`, () => {
      const duration = 3;
      const sim = simulate(workload, fcfs(), { duration, seed, metrics: false });
      const stream = new ArrivalStream(workload.tenants, seed, duration);
      const live: { tenant: number; frame: number; time: number }[] = [];
      for (let r = stream.take(); r; r = stream.take()) live.push(r);
      for (let i = 1; i < live.length; i++) expect(live[i].time).toBeGreaterThanOrEqual(live[i - 1].time);
      for (const t of [0, 1]) {
        const simTimes = sim.jobs.filter((j) => j.tenant === t).map((j) => [j.frame, j.release]);
        const liveTimes = live.filter((r) => r.tenant === t).map((r) => [r.frame, r.time]);
        expect(liveTimes.length).toBeGreaterThan(50);
        expect(liveTimes).toEqual(simTimes);
      }
      expect(live.some((r) => r.tenant === 2)).toBe(false); // dependents come from their upstream only
      // Cascades: the simulator released a dependent frame exactly for the upstream frames that fire.
      const deps = new Set(sim.jobs.filter((j) => j.tenant === 2).map((j) => j.frame));
      const ups = sim.jobs.filter((j) => j.tenant === 0);
      for (const u of ups) expect(deps.has(u.frame)).toBe(cascadeFires(seed, workload.tenants, 2, u.frame));
      expect(deps.size).toBeGreaterThan(10);
    });
  }
});
