// The live runtime applying a tuned schedule's levers beyond policy, lanes, granularity and queue
// bound: tenant pinning (core/workload.ts applyPins, the simulator's rule), late dropping (the
// JobBook's dropLate, cause 'late') and fixed per-layer variants (made again and verified on the
// cut's activations, loaded on every lane before the run, named in the trace and the report).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cutModel } from '../profiler/onnx/cut';
import { kindLabel, VARIANT_KINDS } from '../profiler/variants/kinds';
import { loadModel } from '../profiler/onnx/model';
import { LiveRun, parseLanes, type LiveScenario } from '../scheduler/live';
import { kindOfVariantId, substituteVariants } from '../scheduler/live/variant-exec';
import { tinyCnn } from './support/tiny-model';

const quick = { meters: false, writeFiles: false, calibration: { reps: 4, warmup: 1 } } as const;

describe('live runs apply pins, late drop and fixed variants', () => {
  beforeAll(() => {
    if (!existsSync(join(__dirname, '..', 'dist', 'workers', 'live-lane.worker.cjs'))) throw new Error('run `npm run build` first (the live lane worker is a built bundle)');
  });

  it('a pinned tenant runs only on its lane; when that lane dies it runs on the others', { retry: 1, timeout: 120_000 }, async () => {
    const bytes = tinyCnn({ channels: 16, size: 24, name: 'cnn_pin' });
    const scenario: LiveScenario = {
      name: 'pins',
      tenants: [
        { id: 'pinned', model: { bytes, name: 'cnn_pin' }, arrival: { type: 'periodic', fps: 200 } },
        { id: 'free', model: { bytes, name: 'cnn_pin' }, arrival: { type: 'periodic', fps: 200 } },
      ],
    };
    const lanes = parseLanes('cpu:1,cpu:1#1');
    const run = new LiveRun(scenario, { ...quick, policy: 'edf', duration: 2, lanes, granularity: 'layer', seed: 3, load: 0.9, pins: ['cpu:1#1', null], faults: [{ lane: 'cpu:1#1', at: 1.2 }] });
    const r = await run.run();
    expect(r.report.levers).toEqual({ dropLate: false, pins: [{ tenant: 'pinned', lane: 'cpu:1#1' }], variants: [] });
    const fault = r.report.faults[0];
    expect(fault.lane).toBe('cpu:1#1');
    const layers = r.slices.filter((s) => s.kind === 'layer');
    const pinned = layers.filter((s) => s.tenant === 0);
    // Before the fault: only its lane. After: the lane left (the pin's rule leaves it the others).
    const before = pinned.filter((s) => s.end <= fault.at);
    expect(before.length).toBeGreaterThan(10);
    expect(before.every((s) => s.lane === 1)).toBe(true);
    expect(pinned.filter((s) => s.start > fault.at + 0.05).some((s) => s.lane === 0)).toBe(true);
    // The free tenant is not pinned: its table keeps both lanes (which lane EDF gives it depends on
    // timing: on a quiet machine lane 0 is idle whenever it is ready), and it ran before the fault.
    expect(r.workload.tenants[1].layers.every((l) => l.variants[0].cost[0] !== null && l.variants[0].cost[1] !== null)).toBe(true);
    expect(layers.filter((s) => s.tenant === 1 && s.end <= fault.at).length).toBeGreaterThan(10);
    // The prediction is made on the pinned workload.
    expect(r.workload.tenants[0].layers.every((l) => l.variants[0].cost[0] === null)).toBe(true);
    expect(r.report.predicted?.note).toMatch(/pins pinned->cpu:1#1/);
  });

  it('a pin naming a lane the run lacks is refused before anything runs', async () => {
    const run = new LiveRun({ name: 'x', tenants: [{ id: 'a', model: { bytes: tinyCnn(), name: 'c' }, arrival: { type: 'periodic', fps: 10 } }] }, { ...quick, policy: 'fcfs', duration: 1, lanes: parseLanes('cpu:1'), pins: ['cpu:2'] });
    await expect(run.run()).rejects.toThrow(/pinned to lane cpu:2, which is not a lane of this run/);
  });

  it('late dropping drops waiting frames at their deadline (cause late), as the simulator does', { retry: 1, timeout: 120_000 }, async () => {
    const bytes = tinyCnn({ channels: 16, size: 24, name: 'cnn_late' });
    const scenario: LiveScenario = { name: 'late', tenants: [{ id: 'a', model: { bytes, name: 'cnn_late' }, arrival: { type: 'periodic', fps: 300 } }, { id: 'b', model: { bytes, name: 'cnn_late' }, arrival: { type: 'periodic', fps: 300 } }] };
    const opts = { ...quick, policy: 'fcfs', duration: 1.5, lanes: parseLanes('cpu:1'), granularity: 'layer' as const, seed: 4, load: 5, maxQueuePerTenant: 64 };
    const on = await new LiveRun(scenario, { ...opts, dropLate: true }).run();
    const off = await new LiveRun(scenario, opts).run();
    expect(on.report.levers?.dropLate).toBe(true);
    expect(on.report.drops!.byCause.late).toBeGreaterThan(0);
    expect(off.report.drops!.byCause.late).toBe(0);
    expect(off.report.levers).toBeUndefined();
    expect(on.jobs.filter((j) => j.dropReason === 'late').length).toBe(on.report.drops!.byCause.late);
    // Dropped late means its deadline had passed (the books' rule: waiting at or after it).
    const lastSeen = Math.max(...on.slices.map((s) => s.end));
    for (const j of on.jobs.filter((x) => x.dropReason === 'late')) expect(j.deadline).toBeLessThanOrEqual(lastSeen + 1);
    // The simulator beside the run applies the same rule.
    expect(on.report.predicted?.note).toMatch(/late dropping on/);
  });

  it('fixed variants: made and verified here, loaded before the run, run in place of the originals and named in the trace', { retry: 1, timeout: 180_000 }, async () => {
    const bytes = tinyCnn({ channels: 16, size: 24, name: 'cnn_fixed' });
    const cut = await cutModel(await loadModel(bytes, { name: 'cnn_fixed' }), { granularity: 'group', verify: false });
    const conv = cut.layers.find((l) => l.nodes.some((n) => /conv1/.test(n)))!;
    const picks = [{ layer: conv.name, variant: 'split-out(g=2)' }, { layer: 'no_such_layer', variant: 'fp16' }];
    const scenario: LiveScenario = { name: 'fixed', tenants: [{ id: 'a', model: { bytes, name: 'cnn_fixed' }, arrival: { type: 'periodic', fps: 50 } }, { id: 'b', model: { bytes, name: 'cnn_fixed' }, arrival: { type: 'periodic', fps: 50 } }] };
    const run = new LiveRun(scenario, { ...quick, policy: 'edf', duration: 1, lanes: parseLanes('cpu:1'), granularity: 'layer', seed: 5, variantPicks: [picks, null] }, { substituteVariants });
    const r = await run.run();
    expect(r.report.status).toBe('completed');
    const v = r.report.levers!.variants;
    expect(v.map((x) => [x.tenant, x.layer, x.variant, x.applied])).toEqual([
      ['a', conv.name, 'split-out(g=2)', true],
      ['a', 'no_such_layer', 'fp16', false],
    ]);
    expect(v[0].modelBytes).toBeGreaterThan(0);
    expect(v[1].reason).toMatch(/no layer "no_such_layer"/);
    expect(r.report.warnings.some((w) => /no_such_layer runs its original/.test(w))).toBe(true);
    // Tenant a's layer is the variant (as the simulator's 'fastest' choice has it); tenant b's is the original.
    const li = r.workload.tenants[0].layers.findIndex((l) => l.name === conv.name);
    expect(r.workload.tenants[0].layers[li].variants.map((x) => x.id)).toEqual(['split-out(g=2)']);
    expect(r.workload.tenants[1].layers[li].variants.map((x) => x.id)).toEqual(['original']);
    expect(r.slices.some((s) => s.kind === 'layer' && s.tenant === 0 && s.layer === li)).toBe(true);
    expect(r.report.metrics.perTenant[0].finished).toBeGreaterThan(0);
  });

  it('model granularity: the picked variants are substituted into the whole model', { retry: 1, timeout: 120_000 }, async () => {
    const bytes = tinyCnn({ channels: 16, size: 24, name: 'cnn_whole' });
    const cut = await cutModel(await loadModel(bytes, { name: 'cnn_whole' }), { granularity: 'group', verify: false });
    const conv = cut.layers.find((l) => l.nodes.some((n) => /conv1/.test(n)))!;
    const scenario: LiveScenario = { name: 'whole', tenants: [{ id: 'a', model: { bytes, name: 'cnn_whole' }, arrival: { type: 'periodic', fps: 50 } }] };
    const r = await new LiveRun(scenario, { ...quick, policy: 'fcfs', duration: 0.6, lanes: parseLanes('cpu:1'), granularity: 'model', seed: 6, variantPicks: [[{ layer: conv.name, variant: 'split-out(g=2)' }]] }, { substituteVariants }).run();
    expect(r.report.levers!.variants).toEqual([expect.objectContaining({ layer: conv.name, applied: true })]);
    expect(r.workload.tenants[0].layers.map((l) => l.variants[0].id)).toEqual([`${conv.name}:split-out(g=2)`]);
    expect(r.report.metrics.perTenant[0].finished).toBeGreaterThan(0);
  });

  it('without the generator (the embeddable runtime) fixed variants run as the originals, and the report says so', { timeout: 120_000 }, async () => {
    const run = new LiveRun({ name: 'x', tenants: [{ id: 'a', model: { bytes: tinyCnn(), name: 'c' }, arrival: { type: 'periodic', fps: 20 } }] }, { ...quick, policy: 'fcfs', duration: 0.5, lanes: parseLanes('cpu:1'), granularity: 'layer', variantPicks: [[{ layer: 'x', variant: 'fp16' }]] });
    const r = await run.run();
    expect(r.report.levers!.variants).toEqual([{ tenant: 'a', layer: 'x', variant: 'fp16', applied: false, reason: expect.stringMatching(/no variant generator/) }]);
  });

  it('variant ids name their kind and parameter', () => {
    expect(kindOfVariantId('split-out(g=2)')).toMatchObject({ kind: { id: 'split-out' }, param: 2, label: 'split-out(g=2)' });
    expect(kindOfVariantId('fp16')).toMatchObject({ kind: { id: 'fp16' }, label: 'fp16' });
    expect(kindOfVariantId('fp16(g=2)')).toBeUndefined();
    expect(kindOfVariantId('nope')).toBeUndefined();
    // Every kind of the registry, with its default and its extreme parameters, names itself back.
    for (const k of VARIANT_KINDS) for (const p of k.param ? [k.param.default, k.param.min, k.param.max] : [0]) expect(kindOfVariantId(kindLabel(k, p))?.kind.id).toBe(k.id);
  });
});
