// Predicted vs measured beyond the tolerance, with the likely reasons a live run recorded
// (scheduler/core/divergence.ts), and the app's routing of warnings to the figures they qualify.
import { describe, expect, it } from 'vitest';
import { explainDivergence, type DivergenceInput } from '../scheduler/core/divergence';
import { routeWarnings } from '../renderer/warnings';

const fig = (mean: number, miss: number) => ({ meanLatencyMs: mean, p95LatencyMs: mean * 1.5, missRate: miss, dropRate: 0 });
function row(tenant: string, m: [number, number], p: [number, number]) {
  const a = fig(...m);
  const b = fig(...p);
  return { tenant, measured: a, predicted: b, diff: { meanLatencyRel: (a.meanLatencyMs - b.meanLatencyMs) / b.meanLatencyMs, p95LatencyRel: (a.p95LatencyMs - b.p95LatencyMs) / b.p95LatencyMs, missRatePts: 100 * (a.missRate - b.missRate), dropRatePts: 0 } };
}
const base: DivergenceInput = {
  comparison: [row('det', [10, 0.01], [9.5, 0.01]), row('(all)', [10, 0.01], [9.5, 0.01])],
  lanes: [{ id: 'cpu:1', ep: 'cpu' }, { id: 'cpu:1#1', ep: 'cpu' }],
  ratios: [[1.02, 0.98]],
  latencySource: 'calibration on the lanes (12 reps)',
  eventLoopDelayMaxMs: 3,
  switches: 0,
  faults: 0,
};

describe('explainDivergence', () => {
  it('is silent within the tolerance', () => {
    expect(explainDivergence(base)).toEqual({ beyond: [], reasons: [] });
  });

  it('names slow lanes (background load), CPU lanes slowing each other (interference), stalls, and hindsight', () => {
    const d = explainDivergence({ ...base, comparison: [row('det', [20, 0.3], [10, 0.02])], ratios: [[1.9, 1.6]], eventLoopDelayMaxMs: 48, hindsight: { comparison: [row('det', [20, 0.3], [19, 0.28])] } });
    expect(d.beyond).toEqual(['det: mean latency 20.00 ms vs 10.00 ms predicted', 'det: p95 latency 30.00 ms vs 15.00 ms predicted', 'det: miss rate 30.0% vs 2.0% predicted']);
    expect(d.reasons[0]).toMatch(/slower than predicted \(cpu:1 ×1.90, cpu:1#1 ×1.60\): other load on the machine/);
    expect(d.reasons[1]).toMatch(/interference: 2 CPU lanes share the cores/);
    expect(d.reasons[2]).toMatch(/event loop stalled for up to 48 ms/);
    expect(d.reasons[3]).toMatch(/hindsight\): the latency table was off/);
  });

  it('names profiles from another machine, switches and faults; says when it sees no cause', () => {
    const slow = [row('det', [20, 0.3], [10, 0.02])];
    const d = explainDivergence({ ...base, comparison: slow, latencySource: 'profile p1 (measured 2026-11-30T10:00:00Z on devkit-7; raw run() medians)', thisHost: 'laptop', switches: 1, faults: 1 });
    expect(d.reasons).toEqual([expect.stringMatching(/lane failed/), expect.stringMatching(/switched mid-run/), expect.stringMatching(/another machine \(devkit-7\), not on this one \(laptop\)/)]);
    expect(explainDivergence({ ...base, comparison: slow, latencySource: 'profile p1 (measured x on laptop; raw)', thisHost: 'laptop' }).reasons).toEqual([expect.stringMatching(/no cause the run recorded/)]);
  });
});

describe('routeWarnings', () => {
  it('sends each warning to the first topic it matches, the rest to other', () => {
    const r = routeWarnings(['tenant "a" cannot run on lane webgpu (no adapter)', 'RAPL meter stopped: energy estimated from 3 s', 'frames released by setTimeout (ms resolution)', 'something else'], [
      ['energy', /energy|meter/i],
      ['lanes', /\blanes?\b/i],
      ['prediction', /setTimeout/],
    ] as const);
    expect(r.byTopic).toEqual({ energy: ['RAPL meter stopped: energy estimated from 3 s'], lanes: ['tenant "a" cannot run on lane webgpu (no adapter)'], prediction: ['frames released by setTimeout (ms resolution)'] });
    expect(r.other).toEqual(['something else']);
  });
});
