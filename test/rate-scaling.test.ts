// The one rate-scaling rule (workloads/rate-scaling.ts) and the three places that scale rates:
// `scenario scale` (demand.ts), `simulate --scale/--load` (sim-workload.ts) and `run --scale` (the
// live runtime's workload). Issue 10 (5): `run --scale 0.5` ran ES_RITNet at 30 fps with its 60 fps
// deadline (16.7 ms) while the simulator and `scenario scale` moved it to 33.3 ms.
import { describe, expect, it } from 'vitest';
import { relativeDeadline, type LaneDef } from '../scheduler/core/types';
import type { LatencyTable } from '../scheduler/live/calibrate';
import { buildWorkload } from '../scheduler/live/runtime';
import type { ExecModel, LiveScenario } from '../scheduler/live/types';
import { profileWorkload, scaleToLoad } from '../scheduler/sim-workload';
import { timing } from '../scheduler/tenant-timing';
import { applyScale } from '../workloads/demand';
import { scaleDeadline, scaleTenant, scaleTenantTiming } from '../workloads/rate-scaling';
import type { Profile } from '../profiler/types';
import { loadScenario } from '../workloads/scenario-library';

const vr = () => loadScenario('xrbench/vr_gaming').scenario;

describe('the rate-scaling rule', () => {
  it('a deadline at the next release follows the period; any other explicit deadline stays; none stays none', () => {
    expect(scaleDeadline(1000 / 60, 1000 / 60, 0.5)).toBeCloseTo(1000 / 30, 9);
    expect(scaleDeadline(1 / 45, 1 / 45, 2)).toBeCloseTo(1 / 90, 12);
    expect(scaleDeadline(30, 1000 / 60, 0.5)).toBe(30);
    expect(scaleDeadline(undefined, 1000 / 60, 0.5)).toBeUndefined();
  });

  it('scenario tenants (ms) and scheduler tenants (s) scale alike: rate, rate-following deadline, throughput SLO', () => {
    const t = { ...vr().tenants[0], slos: { minThroughputFps: 60 } };
    const s = scaleTenant(t, 0.5);
    expect(s).toMatchObject({ arrival: { type: 'periodic', fps: 30 }, slos: { minThroughputFps: 30 } });
    expect(s.deadlineMs).toBeCloseTo(1000 / 30, 9);
    expect(t.arrival).toMatchObject({ fps: 60 }); // the input is left alone
    const d = scaleTenantTiming(timing(t), 0.5);
    expect(d).toMatchObject({ arrival: { type: 'periodic', fps: 30 }, slos: { minThroughput: 30 } });
    expect(d.deadline! * 1000).toBeCloseTo(s.deadlineMs!, 9);
    const poisson = scaleTenantTiming({ arrival: { type: 'poisson', ratePerSec: 4 }, deadline: 0.1 }, 3);
    expect(poisson).toEqual({ arrival: { type: 'poisson', ratePerSec: 12 }, deadline: 0.1 });
  });
});

describe('every caller scales XRBench vr_gaming the same way', () => {
  const expected = { ES_RITNet: [30, 1000 / 30], GE_FBNet_C: [30, 1000 / 30], HT_hand_graph_cnn_half: [22.5, 1000 / 22.5] };

  it('scenario scale', () => {
    const s = applyScale(vr(), 0.5, 'rate', new Set(vr().tenants.map((t) => t.id))).scenario;
    for (const t of s.tenants) {
      const [fps, ms] = expected[t.id as keyof typeof expected];
      expect(t.arrival).toMatchObject({ fps });
      expect(t.deadlineMs).toBeCloseTo(ms, 9);
    }
  });

  it('simulate --scale and --load (a profiled workload)', () => {
    const s = vr();
    const layer = { index: 0, name: 'l0', outputs: [], lanes: [{ lane: 'cpu:1', raw: { median: 1 } }] };
    const profile = (name: string) => ({ id: `p-${name}`, status: 'complete', model: { name }, machine: { hostname: 'h' }, createdAt: 'now', lanes: [{ id: 'cpu:1', ep: 'cpu', threads: 1 }], layers: [layer] }) as unknown as Profile;
    const w = profileWorkload(s, s.tenants.map((t) => profile(t.id)));
    for (const t of scaleToLoad(w, { scale: 0.5 }).tenants) {
      const [fps, ms] = expected[t.id as keyof typeof expected];
      expect(t.arrival).toMatchObject({ fps });
      expect(relativeDeadline(t) * 1000).toBeCloseTo(ms, 9);
    }
    // --load: whatever factor it takes, every XRBench deadline stays one period.
    for (const t of scaleToLoad(w, { load: 0.3 }).tenants) expect(relativeDeadline(t) * (t.arrival.type === 'periodic' ? t.arrival.fps : 0)).toBeCloseTo(1, 9);
  });

  it('run --scale (the live runtime\'s workload)', () => {
    const s = vr();
    const live: LiveScenario = { name: s.name, tenants: s.tenants.map((t) => ({ ...timing(t), model: { bytes: new Uint8Array(), name: t.id } })) };
    const execs = s.tenants.map((t) => ({ name: t.id, inputs: [], units: [{ name: 'whole', bytes: new Uint8Array(), inputs: [], outputs: [] }], granularity: 'whole model' })) as ExecModel[];
    const table: LatencyTable = { computeMs: s.tenants.map(() => [[1]]), sources: s.tenants.map(() => 'test'), outBytes: s.tenants.map(() => [0]), cv: 0, logSigma: 0, overheadS: [0], transfer: { latency: 0, bytesPerSec: 1e9 }, releaseLagS: 0 };
    const lanes: LaneDef[] = [{ id: 'cpu:1', kind: 'cpu', idleWatts: 0, busyWatts: 5 }];
    const w = buildWorkload(live, execs, table, lanes, { scale: 0.5 }, 'test');
    for (const t of w.tenants) {
      const [fps, ms] = expected[t.id as keyof typeof expected];
      expect(t.arrival).toMatchObject({ fps });
      expect(relativeDeadline(t) * 1000).toBeCloseTo(ms, 9);
    }
  });
});
