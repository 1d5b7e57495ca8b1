// Model-level variants (issue 11): the resolution and arch-prune kinds on real graphs
// (profiler/variants/model-kinds.ts, generate-model.ts), their layer tables charged to the original
// layers, the whitelist's all-or-nothing rule for them, DREAM switching to one in the simulator,
// and profiles carrying them turned into workloads (scheduler/sim-workload.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatVariants, variantsJson } from '../cli/commands/variants';
import { variantsSummary } from '../engine/features/variants';
import { loadProfile } from '../profiler/store';
import { runVariants } from '../profiler/variants/run';
import { modelVariantRows } from '../renderer/views/variants-model';
import { GraphBuilder, seededWeights } from '../profiler/onnx/builder';
import { cutModel } from '../profiler/onnx/cut';
import { loadModel } from '../profiler/onnx/model';
import type { ModelVariantInfo } from '../profiler/types';
import { chargeLayers, generateModelVariants } from '../profiler/variants/generate-model';
import { reducedSize, splitModelKinds } from '../profiler/variants/model-kinds';
import { createPolicy } from '../scheduler/core/policies';
import { ModelSwitch } from '../scheduler/core/policies/model-switch';
import { simulate } from '../scheduler/core/simulator';
import type { JobState, LayerDef, Policy, SimWorkload, Snapshot, TenantDef } from '../scheduler/core/types';
import { buildWhitelist, committedVariant, narrowSet, setCost, variantAllowed } from '../scheduler/core/whitelist';
import { profileWorkload } from '../scheduler/sim-workload';
import { SCENARIO_SCHEMA_VERSION, type Scenario } from '../workloads/scenario';
import { fakeProfile } from './support/fake-profile';
import { segNet, tinyCnn } from './support/tiny-model';

async function variantsOf(bytes: Uint8Array, kinds = 'resolution') {
  const model = await loadModel(bytes);
  const cut = await cutModel(model, { verify: false });
  return { cut, gen: await generateModelVariants(model, cut, splitModelKinds(kinds).model) };
}

describe('model kinds: resolution and arch-prune', () => {
  it('parses model kinds apart from layer kinds, with parameters', () => {
    const s = splitModelKinds('fp16,resolution=0.5,arch-prune,split-out=4');
    expect(s.model.map((k) => k.label)).toEqual(['resolution(s=0.5)', 'arch-prune(sparsity=0.3)']);
    expect(s.layer).toEqual(['fp16', 'split-out=4']);
    expect(() => splitModelKinds('resolution=2')).toThrow(/resolution's s .* \[0.1, 0.99\]/);
    expect(reducedSize(640, 0.75)).toBe(480);
    expect(reducedSize(224, 0.75)).toBe(160);
    expect(reducedSize(48, 0.5)).toBe(32);
  });

  it('a fully convolutional net runs at 96x96 behind a Resize, its probability map resized back to 128x128, with its errors and IoU', async () => {
    const { cut, gen } = await variantsOf(segNet(128));
    expect(gen.inapplicable).toEqual([]);
    const [v] = gen.variants;
    expect(v.id).toBe('resolution(s=0.75)');
    expect(v.verification.passed).toBe(true);
    expect(v.notes.join(' ')).toMatch(/from 128x128 to 96x96.*feeds are unchanged/);
    expect(v.notes.join(' ')).toMatch(/output y resized back from 96x96 to 128x128/);
    const e = v.verification.endToEnd!;
    expect(e.relL2).toBeGreaterThan(0);
    expect(e.relL2).toBeLessThan(0.5);
    expect(e.task?.[0]).toMatchObject({ task: 'probability-map-iou', output: 'y' });
    // The variant takes the caller's feed and gives outputs of the same shape.
    const vm = await loadModel(v.bytes!);
    expect(vm.inputs.map((i) => i.name)).toEqual(['x']);
    const vc = await cutModel(vm, { verify: false });
    expect(vc.tensors.get('y')!.dims).toEqual(cut.tensors.get('y')!.dims);
    // Its own cut: the Resize joins the first layer, the Resize back the last (group granularity).
    expect(vc.layers.length).toBe(cut.layers.length);
    const c = chargeLayers(cut.layers, vc.layers);
    expect(c).toEqual({ charge: cut.layers.map((_, i) => i) });
  });

  it('a classifier with global pooling (tiny CNN) keeps its output shape; arch-prune says it is not a generator model', async () => {
    const { gen } = await variantsOf(tinyCnn({ size: 128 }), 'resolution,arch-prune');
    expect(gen.variants.map((v) => [v.id, v.verification.passed])).toEqual([['resolution(s=0.75)', true]]);
    expect(gen.inapplicable).toEqual([{ kind: 'arch-prune(sparsity=0.3)', reason: expect.stringMatching(/not a model of the architecture generator/) }]);
  });

  it('refuses with the reason: a fixed Reshape size, an input that does not shrink, no image input', async () => {
    const flat = await variantsOf(segNet(128, true));
    expect(flat.gen.variants).toEqual([]);
    expect(flat.gen.inapplicable[0].reason).toMatch(/does not run at 96x96: .*not fully convolutional/);
    const small = await variantsOf(tinyCnn({ size: 16 }));
    expect(small.gen.inapplicable[0].reason).toMatch(/does not shrink/);
    const g = new GraphBuilder('seq', { opset: 13 });
    const x = g.input('x', [1, 16, 32]);
    g.node('MatMul', [x, g.initializer('w', [32, 32], seededWeights(1024, 1, 32))], ['y'], {}, { name: 'mm' });
    g.output('y', [1, 16, 32]);
    const seq = await variantsOf(g.toBytes());
    expect(seq.gen.inapplicable[0].reason).toMatch(/no image input .*x float32 \[1, 16, 32\]/);
  });

  it('charges variant layers to original layers by node name, in order; by position when no name matches', () => {
    const orig = [{ nodes: ['a'] }, { nodes: ['b', 'c'] }, { nodes: ['d'] }];
    expect(chargeLayers(orig, [{ nodes: ['resize_in'] }, { nodes: ['a'] }, { nodes: ['b'] }, { nodes: ['c', 'd', 'resize_out'] }])).toEqual({ charge: [0, 0, 1, 1] });
    expect(chargeLayers(orig, [{ nodes: ['x'] }, { nodes: ['y'] }, { nodes: ['z'] }])).toEqual({ charge: [0, 1, 2] });
    expect(chargeLayers(orig, [{ nodes: ['x'] }])).toMatchObject({ error: expect.stringMatching(/no node name/) });
  });
});

// ---- the scheduler side ------------------------------------------------------------------------

/**
 * Layer i: original 4 ms; 'fast' layer variant (approximate) 3 ms; 'model:res' (model-level) 1 ms,
 * but 5 ms at layer 0 (the Resize in front): faster as a whole (7 vs 12 ms), slower at its first layer.
 */
function layers(n: number): LayerDef[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `l${i}`,
    outputBytes: 0,
    variants: [
      { id: 'original', accuracyDelta: 0, cost: [{ latency: 0.004 }] },
      { id: 'fast', accuracyDelta: 0.01, cost: [{ latency: 0.003 }] },
      { id: 'exact', accuracyDelta: 0, cost: [{ latency: 0.0035 }] },
      { id: 'model:res', accuracyDelta: 0.03, cost: [{ latency: i === 0 ? 0.005 : 0.001 }] },
    ],
  }));
}

const whitelistOf = (ls: LayerDef[]) => buildWhitelist(ls, [
  { id: 'L1', members: [{ layer: 1, variant: 'fast' }], relL2: 0.01 },
  { id: 'model:res', members: ls.map((_, i) => ({ layer: i, variant: 'model:res' })), relL2: 0.03, whole: true },
], { maxOutputRelErr: 0.05 }).whitelist;

const job = (next: number, variantSet = -1): JobState => ({ id: 0, tenant: 0, frame: 0, release: 0, deadline: 1, priority: 1, next, layerCount: 3, lastRun: 0, lastLane: -1, accuracyUsed: 0, upstream: -1, g: 1, variantSet });

describe('whitelist: a model-level variant is all or nothing', () => {
  const ls = layers(3);
  const wl = whitelistOf(ls);
  const t: TenantDef = { id: 't', model: 'm', layers: ls, arrival: { type: 'periodic', fps: 10 }, priority: 1, whitelist: wl };

  it('commits at the first layer; the original model cannot switch to it later, nor a committed frame leave it', () => {
    expect(wl.combos[0]).toMatchObject({ id: 'model:res', variants: [3, 3, 3], whole: true });
    // Fresh frame: original, exact variant and the model variant are allowed ('fast' is whitelisted at layer 1 only).
    for (const v of [0, 2, 3]) expect(variantAllowed(t, job(0), v, 0, 0)).toBe(true);
    expect(variantAllowed(t, job(0), 1, 0, 0)).toBe(false);
    // After the original at layer 0: the model variant is out, the layer combination still in; no cost charged.
    const afterOrig = narrowSet(t, -1, 0, 0);
    expect(variantAllowed(t, job(1, afterOrig), 3, 0, 0)).toBe(false);
    expect(variantAllowed(t, job(1, afterOrig), 1, 0, 0)).toBe(true);
    expect(setCost(wl, afterOrig)).toBe(0);
    expect(committedVariant(t, job(1, afterOrig))).toBe(-1);
    // After the model variant at layer 0: only it, at its cost; neither the original nor an exact variant.
    const committed = narrowSet(t, -1, 0, 3);
    expect(setCost(wl, committed)).toBe(0.03);
    expect(committedVariant(t, job(1, committed))).toBe(3);
    for (const v of [0, 1, 2]) expect(variantAllowed(t, job(1, committed), v, 0, 0)).toBe(false);
    expect(variantAllowed(t, job(1, committed), 3, 0, 0)).toBe(true);
  });

  it('without model-level combinations, originals and exact variants stay free as before', () => {
    const wl2 = buildWhitelist(ls, [{ id: 'L1', members: [{ layer: 1, variant: 'fast' }], relL2: 0.01 }], { maxOutputRelErr: 0.05 }).whitelist;
    const t2 = { ...t, whitelist: wl2 };
    expect(narrowSet(t2, -1, 0, 0)).toBe(-1);
    expect(narrowSet(t2, -1, 0, 2)).toBe(-1);
  });
});

function overloaded(whole: boolean, fps = 60): SimWorkload {
  const tenants: TenantDef[] = [0, 1].map((i) => {
    const ls = layers(3);
    return { id: `t${i}`, model: 'm', layers: ls, arrival: { type: 'periodic', fps }, deadline: 1 / fps, priority: 1, maxOutputRelErr: 0.05, ...(whole ? { whitelist: whitelistOf(ls) } : {}) } as TenantDef;
  });
  return {
    name: 'overloaded', lanes: [{ id: 'cpu', kind: 'cpu', idleWatts: 0, busyWatts: 5 }], tenants,
    latencySource: { kind: 'synthetic', detail: 'test' }, energySource: { kind: 'estimated', detail: 'test' },
  };
}

describe('DREAM switches to the model-level variant under overload (simulator)', () => {
  it('switches, runs whole frames of it (never mixed with the original), and misses far fewer', () => {
    const w = overloaded(true);
    const r = simulate(w, createPolicy('dream'), { duration: 4, seed: 1, recordSlices: true });
    const perJob = new Map<number, Set<number>>();
    for (const s of r.slices) if (s.kind === 'layer') perJob.set(s.job, (perJob.get(s.job) ?? new Set()).add(s.variant === 3 ? 3 : 0));
    const mixed = [...perJob.values()].filter((s) => s.size > 1);
    expect(mixed).toEqual([]);
    const modelFrames = [...perJob.values()].filter((s) => s.has(3)).length;
    expect(modelFrames).toBeGreaterThan(0);
    expect((r.policyEvents ?? []).some((e) => e.kind === 'model-variant-on')).toBe(true);
    for (const j of r.jobs) if (!j.dropped) expect(j.accuracyUsed === 0 || j.accuracyUsed === 0.03 || j.accuracyUsed === 0.01).toBe(true);
    const none = simulate(overloaded(false), createPolicy('dream'), { duration: 4, seed: 1 });
    expect(r.metrics!.overall.missRate).toBeLessThan(none.metrics!.overall.missRate * 0.7);
  });

  it('a tenant that flaps (off, then on again within twice its hold) gets its hold doubled', () => {
    const w = overloaded(true);
    const ms = new ModelSwitch();
    ms.ensure(w);
    let time = 0;
    const window = (missed: boolean) => {
      ms.observe({ kind: 'job', time, job: 0, tenant: 0, release: time, deadline: time + 0.01, finish: missed ? time + 1 : time, dropped: false, accuracyUsed: 0 });
      time += 0.5;
      ms.observe({ kind: 'window', start: time - 0.5, end: time, ended: 1, missed: missed ? 1 : 0, dropped: 0, missRate: missed ? 1 : 0, energyJ: 0, uxcost: 0, referenceJ: 1 });
      return ms.forced(0, 1) > 0;
    };
    expect(window(true)).toBe(true);
    expect([window(false), window(false)]).toEqual([true, false]);
    // Back on within 2 x hold windows: now 4 calm windows before it switches off.
    expect(window(true)).toBe(true);
    expect([window(false), window(false), window(false), window(false)]).toEqual([true, true, true, false]);
    expect(ms.events().map((e) => e.detail)).toContain('t0 -> original model (4 windows at miss rate <= 5%)');
  });

  it('a frame committed to the model variant runs it to its end whatever variant a policy names (the job book rewrites it)', () => {
    // Names the model variant at a frame's first layer and the original after it.
    const fickle: Policy = {
      name: 'fickle',
      decide(s: Snapshot) {
        const assign = [];
        let l = 0;
        for (const j of s.ready) if (l < s.lanes.length && s.lanes[l].idle) assign.push({ job: j.id, lane: l++, variant: j.next === 0 ? 3 : 0 });
        return { assign, drop: [] };
      },
    };
    const r = simulate(overloaded(true), fickle, { duration: 0.5, seed: 1, recordSlices: true });
    const layerSlices = r.slices.filter((x) => x.kind === 'layer');
    expect(layerSlices.length).toBeGreaterThan(3);
    expect(layerSlices.every((x) => x.variant === 3)).toBe(true);
  });

  for (const name of ['terastal', 'convergo', 'edf']) {
    it(`${name} runs with a model-level variant in the whitelist and never mixes it with the original`, () => {
      const r = simulate(overloaded(true), createPolicy(name), { duration: 1, seed: 1, recordSlices: true });
      const perJob = new Map<number, Set<boolean>>();
      for (const s of r.slices) if (s.kind === 'layer') perJob.set(s.job, (perJob.get(s.job) ?? new Set()).add(s.variant === 3));
      expect([...perJob.values()].filter((s) => s.size > 1)).toEqual([]);
    });
  }
});

describe('profiles carrying model variants make workloads', () => {
  const scenario = (limits: boolean): Scenario => ({
    schemaVersion: SCENARIO_SCHEMA_VERSION, name: 's',
    tenants: [{ id: 'det', model: { kind: 'file', path: 'det.onnx' }, arrival: { type: 'periodic', fps: 10 }, ...(limits ? { maxOutputRelErr: 0.2 } : { accuracyBudget: 0.2 }) }],
  });
  const withVariant = () => {
    const p = fakeProfile('p1', 'det', ['cpu:1'], [[10], [20], [30]]);
    p.layers.forEach((l, i) => (l.nodes = [`n${i}`]));
    const raw = (ms: number) => ({ median: ms, p5: ms, p95: ms, mean: ms, cv: 0, n: 1, ciHalfWidthRel: 0, converged: true });
    const v: ModelVariantInfo = {
      id: 'resolution(s=0.75)', kind: 'resolution', family: 'resolution', exact: false, param: { name: 's', value: 0.75 }, description: '', notes: [], bytesSize: 1, sha256: 'x',
      verification: { passed: true, maxRelError: 0.1, definition: '', endToEnd: { maxRelError: 0.1, maxAbsError: 0.1, relL2: 0.08, cosine: 0.99, snrDb: 20 } },
      generateMs: 1, verifyMs: 1, lanes: [{ lane: 'cpu:1', raw: raw(35), speedup: 60 / 35 }],
      // Four variant layers: the Resize in front charged to layer 0; layer 2's nodes merged into layer 1's.
      layers: [
        { index: 0, name: 'resize', charge: 0, lanes: [{ lane: 'cpu:1', raw: raw(2) }] },
        { index: 1, name: 'l0', charge: 0, lanes: [{ lane: 'cpu:1', raw: raw(6) }] },
        { index: 2, name: 'l1', charge: 1, lanes: [{ lane: 'cpu:1', raw: raw(27) }] },
      ],
    };
    p.modelVariants = { variants: [v], inapplicable: [] };
    return p;
  };

  it('a tenant with whitelist limits gets the model variant on every layer and one whole combination', () => {
    const w = profileWorkload(scenario(true), [withVariant()]);
    const t = w.tenants[0];
    expect(t.layers.map((l) => l.variants.map((v) => v.id))).toEqual([['original', 'model:resolution(s=0.75)'], ['original', 'model:resolution(s=0.75)'], ['original', 'model:resolution(s=0.75)']]);
    expect(t.layers.map((l) => l.variants[1].cost[0]!.latency)).toEqual([0.008, 0.027, 1e-6]);
    expect(t.whitelist!.combos).toEqual([{ id: 'model:resolution(s=0.75)', variants: [1, 1, 1], cost: 0.08, whole: true }]);
    // Off when asked, or when the error is over the limit.
    expect(profileWorkload(scenario(true), [withVariant()], undefined, { modelVariants: false }).tenants[0].layers[0].variants).toHaveLength(1);
    const tight = { ...scenario(true), tenants: [{ ...scenario(true).tenants[0], maxOutputRelErr: 0.05 }] };
    expect(profileWorkload(tight, [withVariant()]).tenants[0].whitelist!.combos).toEqual([]);
  });

  it('an additive-budget tenant, and an old profile without model variants, are unchanged', () => {
    expect(profileWorkload(scenario(false), [withVariant()]).tenants[0].layers[0].variants).toHaveLength(1);
    const old = fakeProfile('p0', 'det', ['cpu:1'], [[10], [20]]);
    old.schemaVersion = 1;
    const t = profileWorkload(scenario(true), [old]).tenants[0];
    expect(t.layers[0].variants).toHaveLength(1);
    expect(t.whitelist!.combos).toEqual([]);
  });
});

describe('tessera variants --kinds resolution (real run on a CPU lane)', () => {
  it('profiles the variant as its own model, charges its layers, stores it, lists it in --json and the view, and keeps layer variants', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-modelvar-'));
    try {
      const file = join(dir, 'seg.onnx');
      writeFileSync(file, segNet(128));
      const first = await runVariants({ model: file }, { name: 'seg', kinds: ['split-out'], lanes: ['cpu:1'], budgetSec: 1, storeDir: dir });
      const layerVariants = first.layers.map((l) => l.variants?.variants.length);
      const p = await runVariants({ profile: first.id }, { kinds: ['resolution=0.5'], budgetSec: 2, storeDir: dir });
      // The layer variants of the first run are kept; the model variant is added.
      expect(p.layers.map((l) => l.variants?.variants.length)).toEqual(layerVariants);
      const v = p.modelVariants!.variants[0];
      expect(v).toMatchObject({ id: 'resolution(s=0.5)', exact: false, verification: { passed: true } });
      expect(v.lanes[0].lane).toBe('cpu:1');
      expect(v.lanes[0].raw!.median).toBeGreaterThan(0);
      expect(v.lanes[0].speedup).toBeGreaterThan(0);
      expect(v.layers!.map((l) => l.charge)).toEqual(p.layers.map((_, i) => i));
      expect(loadProfile(p.id, dir).modelVariants!.variants[0].id).toBe('resolution(s=0.5)');
      const json = variantsJson(p, variantsSummary(p)) as { modelVariants: { kind: string; exact: boolean; verification: { passed: boolean; maxRelError: number }; lanes: { lane: string; rawMedianMs: number }[] }[] };
      expect(json.modelVariants[0]).toMatchObject({ kind: 'resolution', exact: false, verification: { passed: true } });
      expect(json.modelVariants[0].lanes[0].lane).toBe('cpu:1');
      expect(formatVariants(p, variantsSummary(p))).toMatch(/model variants .*\n\s+resolution\(s=0\.5\)\s+e2e relL2/);
      expect(modelVariantRows(p).rows[0]).toMatchObject({ id: 'resolution(s=0.5)', passed: true, layers: p.layers.length });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
