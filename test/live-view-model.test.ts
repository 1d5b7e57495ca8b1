// The Live view's pure logic: the rolling telemetry store stays bounded and ignores other runs'
// batches, the lane timeline's layout, the form's defaults and checks, and the formats.
import { describe, expect, it } from 'vitest';
import type { TelemetryBatch, TelemetryJob, TelemetrySlice } from '../scheduler/live/types';
import { fmtMs, fmtPct, fmtPts, fmtRel } from '../renderer/format';
import {
  LiveTelemetryStore,
  missAxisMax,
  missShares,
  checkLanes,
  coresFromLanes,
  defaultLanesFor,
  diffKind,
  newRunId,
  pruneOrdered,
  ratioKind,
  scenarioChoices,
  splitPolicyState,
  startErrorHint,
  tenantCounters,
} from '../renderer/views/live-model';

function batch(seq: number, t: number, extra: Partial<TelemetryBatch> = {}): TelemetryBatch {
  return {
    runId: 'r1',
    seq,
    t,
    phase: 'running',
    policy: 'dream',
    policyState: { urgency: 1, fairness: 0.5 },
    tenants: [
      { id: 'a', deadline: 0.025, released: seq * 4, finished: seq * 3, late: seq, dropped: 0, queued: 1 },
      { id: 'b', deadline: 0.05, released: seq * 2, finished: seq * 2, late: 0, dropped: seq, queued: 0 },
    ],
    lanes: [
      { id: 'cpu:1', alive: true, utilisation: 0.5, runs: seq, estimatedWatts: 3 },
      { id: 'cpu:1#1', alive: true, utilisation: 0.25, runs: seq, estimatedWatts: 1.5 },
    ],
    jobs: [],
    slices: [],
    omitted: { jobs: 0, slices: 0 },
    ratios: [[1, 1.1], [0.9, 1]],
    power: { watts: 4, joules: t * 4, source: { kind: 'estimated', detail: 'busy share x TDP' } },
    loop: { maxMs: 2, p99Ms: 1 },
    ...extra,
  };
}

const job = (id: number, tenant: number, release: number, finish: number | null, deadline = release + 0.025): TelemetryJob => ({ id, tenant, release, deadline, finish, dropped: finish === null, reason: finish === null ? 'policy' : undefined });
const slice = (lane: number, start: number, end: number, kind: 'layer' | 'transfer' = 'layer', tenant = 0): TelemetrySlice => ({ job: 1, tenant, lane, layer: 0, start, end, kind });

describe('LiveTelemetryStore', () => {
  it('keeps latency points per tenant, flags misses, places drops at the deadline and counts what it saw', () => {
    const s = new LiveTelemetryStore('r1');
    expect(s.ingest(batch(0, 0.1, { jobs: [job(1, 0, 0, 0.01), job(2, 0, 0.02, 0.06), job(3, 1, 0.03, null, 0.08)] }))).toBe(true);
    expect(s.tenants).toEqual(['a', 'b']);
    expect(s.deadlinesMs).toEqual([25, 50]);
    expect(s.latency[0].map((p) => [p.x, Math.round(p.y), p.missed])).toEqual([[0.01, 10, false], [0.06, 40, true]]);
    expect(s.latency[1]).toEqual([]);
    expect(s.drops).toEqual([{ x: 0.08, y: 50, tenant: 1, reason: 'policy' }]);
    expect(s.seen).toEqual({ finished: 2, late: 1, dropped: 1 });
    expect(s.latencyPoints).toBe(2);
    expect(s.policies).toEqual([{ at: 0.1, policy: 'dream' }]);
    expect(s.version).toBe(1);
  });

  it('ignores another run and stale or repeated batches', () => {
    const s = new LiveTelemetryStore('r1');
    expect(s.ingest({ ...batch(0, 0.1), runId: 'other' })).toBe(false);
    expect(s.ingest(batch(3, 0.4))).toBe(true);
    expect(s.ingest(batch(3, 0.4))).toBe(false);
    expect(s.ingest(batch(2, 0.3))).toBe(false);
    expect(s.stale).toBe(2);
    expect(s.batches).toBe(1);
  });

  it('records policy switches seen in the telemetry', () => {
    const s = new LiveTelemetryStore('r1');
    s.ingest(batch(0, 0.1));
    s.ingest(batch(1, 0.2));
    s.ingest(batch(2, 0.3, { policy: 'edf' }));
    expect(s.policies).toEqual([{ at: 0.1, policy: 'dream' }, { at: 0.3, policy: 'edf' }]);
  });

  it('stays bounded: a window of time, a timeline window and hard caps', () => {
    const s = new LiveTelemetryStore('r1', { windowSec: 5, timelineSec: 1, maxPointsPerTenant: 100, maxSlices: 50 });
    let id = 0;
    for (let k = 0; k < 600; k++) {
      const t = k * 0.1;
      const jobs = Array.from({ length: 30 }, () => job(id++, 0, t - 0.01, t - 0.005));
      const slices = Array.from({ length: 20 }, (_, i) => slice(i % 2, t - 0.1 + i * 0.004, t - 0.1 + i * 0.004 + 0.003));
      s.ingest(batch(k, t, { jobs, slices }));
    }
    expect(s.latency[0].length).toBeLessThanOrEqual(100);
    expect(s.latency[0].at(-1)!.x).toBeCloseTo(59.9 - 0.005);
    expect(s.watts.length).toBeLessThanOrEqual(52);
    expect(s.watts[0].x).toBeGreaterThanOrEqual(59.9 - 5 - 1e-9);
    expect(s.utilisation[1].length).toBe(s.watts.length);
    expect(s.slices.length).toBeLessThanOrEqual(50);
    expect(s.slices.every((x) => x.end >= 59.9 - 1)).toBe(true);
    expect(s.seen.finished).toBe(600 * 30);
    expect(s.xRange().min).toBeCloseTo(54.9);
    expect(s.xRange().max).toBeCloseTo(59.9);
  });

  it('shows at least a few seconds on the x axis at the start', () => {
    const s = new LiveTelemetryStore('r1');
    s.ingest(batch(0, 0.5));
    expect(s.xRange()).toEqual({ min: 0, max: 5 });
  });

  it('sums the items the engine left out of its batches', () => {
    const s = new LiveTelemetryStore('r1');
    s.ingest(batch(0, 0.1, { omitted: { jobs: 2, slices: 5 } }));
    s.ingest(batch(1, 0.2, { omitted: { jobs: 1, slices: 0 } }));
    expect(s.omitted).toEqual({ jobs: 3, slices: 5 });
  });
});

describe('the whole run for the lane timeline', () => {
  it('keeps every slice (sorted by start, even when a batch brings them out of order) and every frame that ended', () => {
    const s = new LiveTelemetryStore('r1', { timelineSec: 0.1, maxSlices: 2 });
    s.ingest(batch(0, 0.5, { slices: [slice(0, 0.1, 0.2), slice(1, 0.05, 0.3, 'transfer', 1)], jobs: [job(1, 0, 0, 0.02), job(2, 1, 0.01, null, 0.06)] }));
    s.ingest(batch(1, 1.0, { slices: [slice(0, 0.6, 0.7), slice(0, 0.4, 0.5)] }));
    const t = s.runTimeline();
    expect(t.slices.map((x) => x[3])).toEqual([0.05, 0.1, 0.4, 0.6]);
    expect(t.slices[0]).toEqual([1, 1, 0, 0.05, 0.3, 1, 1]);
    expect(t.jobs).toEqual([[0, 0, 0.025, 0.02, false], [1, 0.01, 0.06, null, true]]);
    expect(t.horizon).toBe(1);
    expect(t.lanes).toEqual(['cpu:1', 'cpu:1#1']);
    expect(s.runLongest).toBeCloseTo(0.25);
    // The rolling view kept only its window and cap; the whole run kept everything.
    expect(s.slices.length).toBeLessThanOrEqual(2);
    expect(s.runKeptFrom).toBe(0);
  });

  it('lets go of the oldest tenth past its caps and says from when it is complete', () => {
    const s = new LiveTelemetryStore('r1', { maxRunSlices: 100, maxRunJobs: 50 });
    for (let k = 0; k < 30; k++) s.ingest(batch(k, k * 0.1 + 0.1, { slices: Array.from({ length: 10 }, (_, i) => slice(0, k * 0.1 + i * 0.01, k * 0.1 + i * 0.01 + 0.005)), jobs: [job(k, 0, k * 0.1, k * 0.1 + 0.01), job(100 + k, 1, k * 0.1 + 0.05, k * 0.1 + 0.06)] }));
    expect(s.runSlices.length).toBeLessThanOrEqual(100);
    expect(s.runJobs.length).toBeLessThanOrEqual(50);
    expect(s.runKeptFrom).toBeGreaterThan(0);
    expect(s.runSlices[0][3]).toBeGreaterThanOrEqual(s.runKeptFrom - 1e-9);
    expect(s.runSlices.at(-1)![3]).toBeCloseTo(2.99);
  });
});

describe('the misses chart scale', () => {
  const c = (released: number, late: number, dropped: number) => ({ tenant: 't', deadlineMs: 10, released, finished: released - dropped, late, dropped, queued: 0, missRate: (late + dropped) / released });
  it('plots shares of the frames released, so one late frame of 300 is a sliver of a 10% axis', () => {
    const sh = missShares([c(300, 1, 0), c(0, 0, 0)]);
    expect(sh.late[0]).toBeCloseTo(1 / 3);
    expect(sh.late[1]).toBe(0);
    expect(missAxisMax(sh)).toBe(10);
  });
  it('grows the axis with the largest late + dropped share, with headroom', () => {
    expect(missAxisMax(missShares([c(100, 9, 0)]))).toBe(20);
    expect(missAxisMax(missShares([c(100, 20, 10)]))).toBe(50);
    expect(missAxisMax(missShares([c(10, 5, 5)]))).toBe(100);
  });
});

describe('pruneOrdered', () => {
  it('drops items before the start and beyond the cap', () => {
    const a = [1, 2, 3, 4, 5, 6];
    pruneOrdered(a, (x) => x, 3, 10);
    expect(a).toEqual([3, 4, 5, 6]);
    pruneOrdered(a, (x) => x, 0, 2);
    expect(a).toEqual([5, 6]);
  });
});

describe('tenantCounters', () => {
  it('derives the miss rate (late + dropped over released), NaN before any release', () => {
    const c = tenantCounters(batch(2, 0.2));
    expect(c[0]).toMatchObject({ tenant: 'a', deadlineMs: 25, released: 8, late: 2, dropped: 0, missRate: 0.25 });
    expect(c[1].missRate).toBe(0.5);
    expect(Number.isNaN(tenantCounters(batch(0, 0))[0].missRate)).toBe(true);
    expect(tenantCounters(undefined)).toEqual([]);
  });
});

describe('form helpers', () => {
  it('defaults to two CPU lanes splitting the cores like the engine', () => {
    expect(defaultLanesFor(1)).toBe('cpu:1,cpu:1');
    expect(defaultLanesFor(2)).toBe('cpu:1,cpu:1');
    expect(defaultLanesFor(8)).toBe('cpu:3,cpu:3');
    expect(coresFromLanes([{ ep: 'cpu', threads: 1 }, { ep: 'cpu', threads: 4 }, { ep: 'webgpu' }])).toBe(4);
    expect(coresFromLanes([])).toBe(1);
  });
  it('checks a lanes string with the engine grammar', () => {
    expect(checkLanes('cpu:1,cpu:1')).toBeUndefined();
    expect(checkLanes(' cpu , webgpu ')).toBeUndefined();
    expect(checkLanes('')).toMatch(/no lanes/);
    expect(checkLanes('gpu:9')).toMatch(/unknown execution provider "gpu" in lane "gpu:9"/);
    expect(checkLanes('cpu:0')).toMatch(/thread count must be >= 1/);
    expect(checkLanes('cpu:1#2')).toBeUndefined(); // the engine accepts it, so the form does too
    expect(checkLanes('cpu:1,webgpu:sw')).toBeUndefined();
    expect(checkLanes('cpu:sw')).toMatch(/applies to webgpu lanes only/);
  });
  it('lists the demos first, then the library, user scenarios apart, broken ones disabled', () => {
    const c = scenarioChoices([
      { id: 'xrbench/vr_gaming', name: 'VR gaming', description: 'XRBench', origin: 'xrbench', tenants: [{ id: 'a' }, { id: 'b' }] },
      { id: 'user/x', name: 'x', description: '', origin: 'user', tenants: [{ id: 't' }], error: 'bad model' },
    ]);
    expect(c.map((x) => x.value)).toEqual(['demo:tiny', 'demo', 'xrbench/vr_gaming', 'user/x']);
    expect(c[0].description).toMatch(/NOT trained/);
    expect(c[2]).toMatchObject({ group: 'Library', label: 'xrbench/vr_gaming: VR gaming', description: 'XRBench (2 tenants: a, b)' });
    expect(c[3]).toMatchObject({ group: 'User scenarios', disabled: 'bad model' });
  });
  it('makes run ids the engine accepts', () => {
    const id = newRunId(Date.UTC(2025, 0, 2, 3, 4, 5), 0.5);
    expect(id).toMatch(/^[A-Za-z0-9._-]{1,100}$/);
    expect(id).toMatch(/-8000$/);
    expect(newRunId()).not.toBe(newRunId(Date.now(), 0.123));
  });
});

describe('formats', () => {
  it('show a dash for values that were NaN (null after JSON)', () => {
    expect(fmtMs(null)).toBe('–');
    expect(fmtMs(NaN)).toBe('–');
    expect(fmtMs(1.234)).toBe('1.23 ms');
    expect(fmtMs(12.34)).toBe('12.3 ms');
    expect(fmtMs(123.4)).toBe('123 ms');
    expect(fmtPct(0.125)).toBe('12.5%');
    expect(fmtRel(0.123)).toBe('+12%');
    expect(fmtRel(-0.5)).toBe('-50%');
    expect(fmtPts(-2)).toBe('-2.0 pts');
  });
  it('grade ratios and differences', () => {
    expect(ratioKind(1.1)).toBe('ok');
    expect(ratioKind(0.7)).toBe('warn');
    expect(ratioKind(2)).toBe('bad');
    expect(ratioKind(null)).toBe('info');
    expect(diffKind(0.1, 'rel')).toBe('ok');
    expect(diffKind(-0.5, 'rel')).toBe('warn');
    expect(diffKind(20, 'pts')).toBe('bad');
  });
});

describe('splitPolicyState', () => {
  it('shows weights as bars scaled to the largest and tuner counters as numbers', () => {
    const s = splitPolicyState({ urgency: 2, fairness: 0.5, tunerStep: 0.25, tunerTrials: 12 });
    expect(s.bars).toEqual([{ key: 'urgency', value: 2, fraction: 1 }, { key: 'fairness', value: 0.5, fraction: 0.25 }]);
    expect(s.numbers).toEqual([{ key: 'tunerStep', value: 0.25 }, { key: 'tunerTrials', value: 12 }]);
    expect(splitPolicyState({ 'risk.a': 0.4 }).bars[0].fraction).toBe(0.4);
    expect(splitPolicyState(undefined)).toEqual({ bars: [], numbers: [] });
  });
});

describe('startErrorHint', () => {
  it('names what to fix from the engine error', () => {
    expect(startErrorHint('bad-scenario', 'lane "gpu:9": expected EP[:THREADS]')).toMatch(/Fix the lanes/);
    expect(startErrorHint('bad-scenario', 'no scenario "/no/such.json"')).toMatch(/Pick a scenario/);
    expect(startErrorHint('bad-scenario', 'tenant "a": model x.onnx cannot be resolved: ENOENT')).toMatch(/model could not be loaded/);
    expect(startErrorHint('bad-scenario', 'profile p1: not found')).toMatch(/Untick that profile/);
    expect(startErrorHint('cancelled', 'stopped during setup')).toMatch(/stopped before/);
    expect(startErrorHint('bad-request', 'unknown policy "x"')).toMatch(/Check the form/);
    expect(startErrorHint('failed', 'boom')).toMatch(/engine log/);
  });
});
