// Per-tenant whitelists of variant combinations verified together (scheduler/core/whitelist.ts),
// the combinations the generator proposes (profiler/variants/combos.ts), and the schedulers keeping
// within a whitelist in the simulator.
import { describe, expect, it } from 'vitest';
import { proposeCombinations } from '../profiler/variants/combos';
import type { LayerVariants } from '../profiler/types';
import { createPolicy } from '../scheduler/core/policies';
import { ModelSwitch } from '../scheduler/core/policies/model-switch';
import { chromeTrace } from '../scheduler/core/trace';
import { comparePolicies } from '../scheduler/core/compare';
import { switchRows } from '../renderer/views/simulate-model';
import { simulate } from '../scheduler/core/simulator';
import type { JobState, LayerDef, Policy, SimWorkload, Snapshot, TenantDef } from '../scheduler/core/types';
import { buildWhitelist, combinationFigures, hasLimits, MAX_WHITELIST, narrowSet, setCost, taskValues, variantAllowed, variantUsable } from '../scheduler/core/whitelist';

/** Layer i: original 4 ms on lane 0, 2 ms on lane 1; variant 'fast' (approximate, 1 ms / 0.5 ms); variant 'exact' (exact, 3 ms / 1.5 ms). */
function layers(n: number): LayerDef[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `l${i}`,
    outputBytes: 0,
    variants: [
      { id: 'original', accuracyDelta: 0, cost: [{ latency: 0.004 }, { latency: 0.002 }] },
      { id: 'fast', accuracyDelta: 0.01, cost: [{ latency: 0.001 }, { latency: 0.0005 }] },
      { id: 'exact', accuracyDelta: 0, cost: [{ latency: 0.003 }, { latency: 0.0015 }] },
    ],
  }));
}

const job = (next: number, variantSet = -1): JobState => ({ id: 0, tenant: 0, frame: 0, release: 0, deadline: 1, priority: 1, next, layerCount: 3, lastRun: 0, lastLane: -1, accuracyUsed: 0, upstream: -1, g: 1, variantSet });

describe('whitelist: combinations within a tenant\'s limits', () => {
  const ls = layers(3);
  const figures = [
    { id: 'L0', members: [{ layer: 0, variant: 'fast' }], relL2: 0.01, top1Drop: 0 },
    { id: 'L1', members: [{ layer: 1, variant: 'fast' }], relL2: 0.01, top1Drop: 0 },
    // Together, layers 0 and 1 do not compose: far worse than the sum of their own errors.
    { id: 'L0+L1', members: [{ layer: 0, variant: 'fast' }, { layer: 1, variant: 'fast' }], relL2: 0.2, top1Drop: 0.1 },
    { id: 'L1+L2', members: [{ layer: 1, variant: 'fast' }, { layer: 2, variant: 'fast' }], relL2: 0.015, top1Drop: 0 },
  ];

  it('keeps the combinations within maxOutputRelErr and says why the others are left out', () => {
    const r = buildWhitelist(ls, figures, { maxOutputRelErr: 0.05 });
    expect(r.whitelist.combos.map((c) => c.id).sort()).toEqual(['L0', 'L1', 'L1+L2']);
    expect(r.rejected).toEqual([{ id: 'L0+L1', reason: expect.stringContaining('maxOutputRelErr 0.05') }]);
    // Largest first, variant indices per layer.
    expect(r.whitelist.combos[0]).toEqual({ id: 'L1+L2', variants: [0, 1, 1], cost: 0.015 });
  });

  it('checks maxTop1Drop, and leaves out combinations whose model has no top-1 figure', () => {
    const r = buildWhitelist(ls, [...figures, { id: 'no-task', members: [{ layer: 2, variant: 'fast' }], relL2: 0.001 }], { maxTop1Drop: 0.05 });
    expect(r.whitelist.combos.map((c) => c.id)).not.toContain('L0+L1');
    expect(r.rejected.find((x) => x.id === 'no-task')?.reason).toMatch(/no top-1 figure/);
    expect(r.rejected.find((x) => x.id === 'L0+L1')?.reason).toMatch(/top-1 drop 10.0% > maxTop1Drop 5.0%/);
  });

  it('checks minMapIoU and maxDecisionChange, leaving out combinations whose model lacks the figure', () => {
    const det = [
      { id: 'ok', members: [{ layer: 0, variant: 'fast' }], relL2: 0.3, mapIoU: 0.95 },
      { id: 'low', members: [{ layer: 1, variant: 'fast' }], relL2: 0.01, mapIoU: 0.8 },
      { id: 'cls', members: [{ layer: 2, variant: 'fast' }], relL2: 0.001, top1Drop: 0 },
    ];
    const r = buildWhitelist(ls, det, { minMapIoU: 0.9 });
    // Task level only: a large relL2 is no reason; the cost is the task loss (1 - IoU), not relL2.
    expect(r.whitelist.combos).toEqual([{ id: 'ok', variants: [1, 0, 0], cost: expect.closeTo(0.05, 9) }]);
    expect(r.whitelist.costLabel).toMatch(/1 - map IoU/);
    expect(r.rejected.find((x) => x.id === 'low')?.reason).toBe('map IoU 0.800 < minMapIoU 0.9');
    expect(r.rejected.find((x) => x.id === 'cls')?.reason).toMatch(/no probability-map figure/);
    const vad = [
      { id: 'same', members: [{ layer: 0, variant: 'fast' }], relL2: 0.2, decisionChange: 0 },
      { id: 'flips', members: [{ layer: 1, variant: 'fast' }], relL2: 0.01, decisionChange: 0.25 },
      { id: 'none', members: [{ layer: 2, variant: 'fast' }], relL2: 0.01 },
    ];
    const v = buildWhitelist(ls, vad, { maxDecisionChange: 0.01 });
    expect(v.whitelist.combos.map((c) => [c.id, c.cost])).toEqual([['same', 0]]);
    expect(v.rejected.find((x) => x.id === 'flips')?.reason).toBe('decision change 25.0% > maxDecisionChange 1.0%');
    expect(v.rejected.find((x) => x.id === 'none')?.reason).toMatch(/no speech\/no-speech figure/);
    // With maxOutputRelErr as well, both apply and the cost stays the relative L2.
    const both = buildWhitelist(ls, det, { minMapIoU: 0.9, maxOutputRelErr: 0.5 });
    expect(both.whitelist.combos.map((c) => [c.id, c.cost])).toEqual([['ok', 0.3]]);
    expect(hasLimits({ minMapIoU: 0.9 })).toBe(true);
    expect(hasLimits({ maxDecisionChange: 0 })).toBe(true);
    expect(hasLimits({})).toBe(false);
  });

  it('combination figures carry the task values of the profile (map IoU, VAD decisions, top-1)', () => {
    const e2e = (task: { task: string; value: number }[]) => ({ relL2: 0.1, task });
    const figs = combinationFigures({
      layers: [{ index: 0, variants: { variants: [{ id: 'int8-static', exact: false, verification: { passed: true, endToEnd: e2e([{ task: 'probability-map-iou', value: 0.93 }]) } }] } }],
      variantRun: { combinations: [{ id: 'bestx2', members: [{ layer: 0, variant: 'fp16' }], endToEnd: e2e([{ task: 'speech-decision', value: 0.9 }, { task: 'classifier-top1', value: 1 }]) }] },
    });
    expect(figs[0]).toMatchObject({ id: 'L0:int8-static', mapIoU: 0.93 });
    expect(figs[0].decisionChange).toBeUndefined();
    expect(figs[1]).toMatchObject({ id: 'bestx2', top1Drop: 0 });
    expect(figs[1].decisionChange).toBeCloseTo(0.1, 12);
    expect(taskValues(undefined)).toEqual({});
  });

  it('leaves out a combination naming a variant the layer does not have on these lanes', () => {
    const r = buildWhitelist(ls, [{ id: 'x', members: [{ layer: 0, variant: 'int8' }], relL2: 0 }], { maxOutputRelErr: 1 });
    expect(r.whitelist.combos).toEqual([]);
    expect(r.rejected[0].reason).toMatch(/layer 0 has no usable variant "int8"/);
  });

  it(`keeps at most ${MAX_WHITELIST} combinations, the largest first`, () => {
    const many = layers(40);
    const figs = many.map((_, i) => ({ id: `s${i}`, members: [{ layer: i, variant: 'fast' }], relL2: 0.001 * i }));
    figs.push({ id: 'pair', members: [{ layer: 38, variant: 'fast' }, { layer: 39, variant: 'fast' }], relL2: 0.5 });
    const r = buildWhitelist(many, figs, { maxOutputRelErr: 1 });
    expect(r.whitelist.combos).toHaveLength(MAX_WHITELIST);
    expect(r.whitelist.combos[0].id).toBe('pair');
    expect(r.whitelist.combos[1].id).toBe('s0');
    expect(r.rejected).toHaveLength(10);
  });

  it('a frame runs only subsets of one whitelisted combination; exact variants stay free', () => {
    const { whitelist } = buildWhitelist(ls, figures, { maxOutputRelErr: 0.05 });
    const t: TenantDef = { id: 't', model: 'm', layers: ls, arrival: { type: 'periodic', fps: 10 }, priority: 1, whitelist };
    // Nothing ran yet: every whitelisted substitution is open.
    expect(variantAllowed(t, job(0), 1, 0.01, 0)).toBe(true);
    expect(variantAllowed(t, job(2), 1, 0.01, 0)).toBe(true);
    // After the fast layer 0, layer 1's fast variant is not allowed (L0+L1 is not whitelisted) ...
    let set = narrowSet(t, -1, 0, 1);
    expect(variantAllowed(t, job(1, set), 1, 0.01, 0)).toBe(false);
    expect(variantAllowed(t, job(1, set), 0, 0, 0)).toBe(true);
    expect(variantAllowed(t, job(1, set), 2, 0, 0)).toBe(true); // exact
    expect(setCost(whitelist, set)).toBe(0.01);
    // ... while after the fast layer 1, layer 2's is (L1+L2), and the frame is charged that combination.
    set = narrowSet(t, -1, 1, 1);
    expect(setCost(whitelist, set)).toBe(0.01); // L1 alone is the smallest consistent one
    expect(variantAllowed(t, job(2, set), 1, 0.01, 0)).toBe(true);
    set = narrowSet(t, set, 2, 1);
    expect(setCost(whitelist, set)).toBe(0.015);
    expect(setCost(whitelist, -1)).toBe(0);
    // Offline: usable at all.
    expect(variantUsable(t, 0, 1, 0)).toBe(true);
    const t2: TenantDef = { ...t, whitelist: buildWhitelist(ls, figures.slice(1, 2), { maxOutputRelErr: 0.05 }).whitelist };
    expect(variantUsable(t2, 0, 1, 0)).toBe(false);
    expect(variantUsable(t2, 0, 2, 0)).toBe(true);
  });

  it('without a whitelist the additive budget applies, as before', () => {
    const t: TenantDef = { id: 't', model: 'm', layers: ls, arrival: { type: 'periodic', fps: 10 }, priority: 1, accuracyBudget: 0.015 };
    expect(variantAllowed(t, job(0), 1, 0.01, 0.015)).toBe(true);
    expect(variantAllowed(t, job(0), 1, 0.01, 0.005)).toBe(false);
    expect(variantUsable(t, 0, 1, 0.005)).toBe(false);
    expect(narrowSet(t, -1, 0, 1)).toBe(-1);
  });
});

/** Two lanes, 3 tenants of 3 layers, overloaded; tenant variants per `layers`. */
function overloaded(wl?: (ls: LayerDef[]) => TenantDef['whitelist'], budget?: number, fps = 130): SimWorkload {
  const tenants: TenantDef[] = [0, 1, 2].map((i) => {
    const ls = layers(3);
    return { id: `t${i}`, model: 'm', layers: ls, arrival: { type: 'periodic', fps }, deadline: 1 / fps, priority: 1, ...(budget ? { accuracyBudget: budget } : {}), ...(wl ? { whitelist: wl(ls) } : {}) };
  });
  return {
    name: 'overloaded', lanes: [{ id: 'slow', kind: 'cpu', idleWatts: 0, busyWatts: 5 }, { id: 'fast', kind: 'gpu', idleWatts: 0, busyWatts: 10 }], tenants,
    latencySource: { kind: 'synthetic', detail: 'test' }, energySource: { kind: 'estimated', detail: 'test' },
  };
}

describe('schedulers within a whitelist (simulator)', () => {
  const pairs = (ls: LayerDef[]) => buildWhitelist(ls, [
    { id: 'L0', members: [{ layer: 0, variant: 'fast' }], relL2: 0.01 },
    { id: 'L1+L2', members: [{ layer: 1, variant: 'fast' }, { layer: 2, variant: 'fast' }], relL2: 0.02 },
  ], { maxOutputRelErr: 0.05 }).whitelist;

  for (const name of ['terastal', 'dream', 'convergo']) {
    it(`${name} uses whitelisted variants under overload and never leaves the whitelist`, () => {
      const w = overloaded(pairs);
      const r = simulate(w, createPolicy(name), { duration: 1, seed: 1, recordSlices: true });
      const fast = new Map<number, Set<number>>();
      for (const s of r.slices) {
        if (s.kind !== 'layer' || s.variant !== 1) continue;
        fast.set(s.job, (fast.get(s.job) ?? new Set()).add(s.layer));
      }
      expect(fast.size).toBeGreaterThan(0);
      for (const set of fast.values()) expect(set.has(0) && (set.has(1) || set.has(2))).toBe(false);
      for (const j of r.jobs) if (!j.dropped) expect(j.accuracyUsed).toBeLessThanOrEqual(0.02 + 1e-12);
      // Variants do not hurt here; DREAM and Convergo miss far fewer (terastal's greedy first
      // choice closes the larger combination: 0.333 both ways at this load).
      const none = simulate(overloaded(), createPolicy(name), { duration: 1, seed: 1 });
      if (name === 'terastal') expect(r.metrics!.overall.missRate).toBeLessThanOrEqual(none.metrics!.overall.missRate);
      else expect(r.metrics!.overall.missRate).toBeLessThan(none.metrics!.overall.missRate - 0.3);
    });
  }

  it('terastal predicts every whitelisted variant\'s latency: a whitelist admitting everything decides as a budget that does', () => {
    // One combination of every layer's approximate variant: any subset is allowed, as under an
    // additive budget of 0.05 (3 x 0.01). The decisions (lane and variant of every slice) must match;
    // terastal used to skip predicting approximate variants on whitelist tenants (their additive
    // budget is 0) and chose them on stale latencies.
    const all = (ls: LayerDef[]) => buildWhitelist(ls, [{ id: 'all', members: [0, 1, 2].map((layer) => ({ layer, variant: 'fast' })), relL2: 0.03 }], { maxOutputRelErr: 1 }).whitelist;
    for (const fps of [100, 130, 200]) {
      const key = (r: ReturnType<typeof simulate>) => r.slices.filter((x) => x.kind === 'layer').map((x) => `${x.job}:${x.layer}@${x.lane}/${x.variant}`).join(' ');
      const wl = simulate(overloaded(all, undefined, fps), createPolicy('terastal'), { duration: 0.5, seed: 1, recordSlices: true });
      const budget = simulate(overloaded(undefined, 0.05, fps), createPolicy('terastal'), { duration: 0.5, seed: 1, recordSlices: true });
      expect(key(wl)).toBe(key(budget));
      expect(wl.metrics!.overall.missRate).toBe(budget.metrics!.overall.missRate);
    }
  });

  it('a policy that runs a variant outside the whitelist fails the run, naming it', () => {
    const greedy: Policy = {
      name: 'greedy',
      decide(s: Snapshot) {
        const assign = [];
        let l = 0;
        for (const j of s.ready) if (l < s.lanes.length && s.lanes[l].idle) assign.push({ job: j.id, lane: l++, variant: 1 });
        return { assign, drop: [] };
      },
    };
    expect(() => simulate(overloaded(pairs), greedy, { duration: 0.2, seed: 1 })).toThrow(/variant "fast" of layer 1 of tenant "t0" outside its whitelist/);
    // The same policy with the additive budget (0.05 = 5 variants) is fine.
    expect(() => simulate(overloaded(undefined, 0.05), greedy, { duration: 0.2, seed: 1 })).not.toThrow();
  });
});

describe('proposed combinations', () => {
  const lv = (savedMs: number[], errs: number[]): LayerVariants => ({
    original: [{ lane: 'cpu:1', latencyMs: 1 }],
    variants: errs.map((e, k) => ({
      id: k === 0 ? 'fp16' : 'int8', kind: k === 0 ? 'fp16' : 'int8', family: 'x', exact: false, description: '', targets: [], notes: [], bytesSize: 1,
      verification: { passed: true, maxRelError: e, definition: '', endToEnd: { maxRelError: e, maxAbsError: e, relL2: e, cosine: 1, snrDb: 40 } },
      generateMs: 1, verifyMs: 1, lanes: [{ lane: 'cpu:1', latencyMs: 1 - savedMs[k] }],
    })),
    inapplicable: [],
  });

  it('nested chains per variant id and the best per layer, ordered by time saved per error, verified once each', () => {
    const ls = [
      { index: 0, variants: lv([0.5, 0.6], [0.01, 0.001]) },
      { index: 1, variants: lv([0.1, 0.2], [0.01, 0.05]) },
      { index: 2, variants: lv([0.3, -0.1], [0.001, 0.01]) }, // int8 slower here: left out
      { index: 3 }, // no variants
      { index: 4, variants: lv([0.2, 0.3], [0.002, 0.004]) },
    ];
    const c = proposeCombinations(ls);
    const ids = c.map((x) => x.id);
    expect(ids).toContain('bestx2');
    expect(ids).toContain('bestx4');
    expect(ids).toContain('fp16x4');
    expect(ids).toContain('int8x3');
    expect(ids).not.toContain('int8x4');
    const best2 = c.find((x) => x.id === 'bestx2')!;
    // Best per layer by saved / error: L0 int8 (600), L2 fp16 (300), L4 int8 (75) / fp16 (100), L1 fp16 (10).
    expect(best2.members).toEqual([{ layer: 0, variant: 'int8' }, { layer: 2, variant: 'fp16' }]);
    expect(best2.sumOfSingles).toBeCloseTo(0.002, 12);
    // Chains are nested: every smaller prefix is a subset of the larger one.
    const key = (x: { layer: number; variant: string }) => `${x.layer}:${x.variant}`;
    const b4 = new Set(c.find((x) => x.id === 'bestx4')!.members.map(key));
    for (const m of best2.members) expect(b4.has(key(m))).toBe(true);
    // No member set twice.
    const sets = c.map((x) => x.members.map(key).join('|'));
    expect(new Set(sets).size).toBe(sets.length);
  });
});

describe('DREAM model switching with hysteresis', () => {
  const combos = (ls: LayerDef[]) => buildWhitelist(ls, [
    { id: 'L0', members: [{ layer: 0, variant: 'fast' }], relL2: 0.01 },
    { id: 'all-fast', members: [0, 1, 2].map((layer) => ({ layer, variant: 'fast' })), relL2: 0.03 },
  ], { maxOutputRelErr: 0.05 }).whitelist;
  const window = (end: number) => ({ kind: 'window' as const, start: end - 0.5, end, ended: 0, missed: 0, dropped: 0, missRate: 0, energyJ: 0, uxcost: 0, referenceJ: 0 });
  const job = (tenant: number, missed: boolean) => ({ kind: 'job' as const, time: 0, job: 0, tenant, release: 0, deadline: 1, finish: missed ? 2 : 0.5, dropped: false, accuracyUsed: 0 });

  it('switches a tenant to its largest whitelisted combination at the high mark, back after calm windows', () => {
    const w = overloaded(combos);
    w.tenants[2] = { ...w.tenants[2], whitelist: undefined }; // no whitelist: never switched
    const m = new ModelSwitch({ high: 0.2, low: 0.05, hold: 2 });
    m.ensure(w);
    const feed = (t: number, missed: number, ok: number) => {
      for (let i = 0; i < missed; i++) m.observe(job(t, true));
      for (let i = 0; i < ok; i++) m.observe(job(t, false));
    };
    feed(0, 1, 9); // 10%: under the high mark
    feed(2, 9, 1);
    m.observe(window(0.5));
    expect(m.forced(0, 1)).toBe(0);
    feed(0, 3, 7); // 30%
    m.observe(window(1));
    expect(m.forced(0, 0)).toBe(1);
    expect(m.forced(0, 2)).toBe(1);
    expect(m.forced(1, 0)).toBe(0);
    expect(m.forced(2, 0)).toBe(0);
    feed(0, 1, 9); // 10%: between the marks, stays (hysteresis)
    m.observe(window(1.5));
    feed(0, 0, 10);
    m.observe(window(2));
    expect(m.forced(0, 0)).toBe(1); // one calm window of two
    m.observe(window(2.5)); // nothing ended: no evidence either way
    feed(0, 0, 10);
    m.observe(window(3));
    expect(m.forced(0, 0)).toBe(0);
    expect(m.events().map((e) => [e.time, e.tenant, e.kind])).toEqual([[1, 0, 'model-variant-on'], [3, 0, 'model-variant-off']]);
    expect(m.events()[0].detail).toMatch(/t0 -> model variant all-fast \(window miss rate 30% >= 20%\)/);
    expect(m.state()).toEqual({ modelSwitches: 2, modelVariantTenants: 0 });
    expect(() => new ModelSwitch({ high: 0.1, low: 0.2 })).toThrow(/low < high/);
  });

  it('in the simulator: overloaded tenants switch, their frames run the whole combination, the trace shows each switch', () => {
    const w = overloaded(combos, undefined, 300);
    const r = simulate(w, createPolicy('dream'), { duration: 2, seed: 1, recordSlices: true, window: 0.25 });
    const on = r.policyEvents!.filter((e) => e.kind === 'model-variant-on');
    expect(on.length).toBeGreaterThan(0);
    // After the first switch of a tenant, some of its frames ran the variant on all three layers.
    const first = on[0];
    const byJob = new Map<number, number>();
    for (const s of r.slices) if (s.kind === 'layer' && s.tenant === first.tenant && s.start > first.time && s.variant === 1) byJob.set(s.job, (byJob.get(s.job) ?? 0) + 1);
    expect([...byJob.values()].some((n) => n === 3)).toBe(true);
    for (const j of r.jobs) if (!j.dropped) expect(j.accuracyUsed).toBeLessThanOrEqual(0.03 + 1e-12);
    const trace = chromeTrace(w, { slices: r.slices, jobs: r.jobs, policyEvents: r.policyEvents });
    expect(trace.traceEvents.filter((e) => e.cat === 'model-variant-on')).toHaveLength(on.length);
    expect(createPolicy('dream').state!()).not.toHaveProperty('modelSwitches'); // nothing to switch: state as before
  });

  it('simulate.compare rows carry the last seed\'s switches, which the Simulate view lists with from/to', () => {
    const w = overloaded(combos, undefined, 300);
    const c = comparePolicies(w, ['dream', 'fcfs'], { duration: 2, seeds: [3, 1], window: 0.25 });
    const last = simulate(w, createPolicy('dream'), { duration: 2, seed: 1, window: 0.25 }).policyEvents!;
    const dream = c.rows.find((r) => r.policy === 'dream')!;
    expect(dream.policyEvents).toEqual(last);
    expect(c.rows.find((r) => r.policy === 'fcfs')!.policyEvents).toBeUndefined();
    const rows = switchRows(dream.policyEvents, w.tenants.map((t) => t.id));
    expect(rows).toHaveLength(last.length);
    expect(rows[0]).toMatchObject({ tenant: w.tenants[last[0].tenant].id, from: 'original model' });
    expect(rows[0].to).toMatch(/^model variant /);
    expect(rows[0].why).toMatch(/miss rate/);
  });
});
