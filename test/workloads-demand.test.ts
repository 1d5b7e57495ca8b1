// Demand vs capacity and load scaling (pure arithmetic on hand-made profiles), the same through
// resolved XRBench models, the engine feature, and the `tessera scenario` CLI.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main';
import { localClient } from '../engine/local';
import { fakeProfile } from './support/fake-profile';
import { demandContext, scaleScenarioWith } from '../workloads/assess';
import { computeDemand, DemandError, scaleScenario, type TenantWork } from '../workloads/demand';
import { SCENARIO_SCHEMA_VERSION, type Scenario } from '../workloads/scenario';
import { planNetwork, xrbenchNetwork } from '../workloads/xrbench';

const scenario = (tenants: Scenario['tenants']): Scenario => ({ schemaVersion: SCENARIO_SCHEMA_VERSION, name: 'test', tenants });
const model = { kind: 'file' as const, path: 'x.onnx' };
const LANES = ['cpu', 'gpu'];

const s1 = scenario([
  { id: 'A', model, arrival: { type: 'periodic', fps: 10 }, deadlineMs: 100 },
  { id: 'B', model, arrival: { type: 'periodic', fps: 10 }, cascade: { upstream: 'A', probability: 0.5 } },
  { id: 'C', model, arrival: { type: 'poisson', ratePerSec: 4 } },
]);
const work1 = (): Record<string, TenantWork> => ({
  A: { layers: 2, macs: 1e9, macsSource: 'generator', model: 'a', profile: fakeProfile('pa', 'a', LANES, [[2, 1], [1, 3]]) },
  B: { layers: 1, macs: 2e9, macsSource: 'generator', model: 'b', profile: fakeProfile('pb', 'b', LANES, [[4, 2]]) },
  C: { layers: 1, macs: 5e8, macsSource: 'counted', model: 'c', profile: fakeProfile('pc', 'c', LANES, [[10, 5]]) },
});

describe('demand vs capacity (pure)', () => {
  it('per tenant: isolated latency per lane, preferred lane, best mix, busy ms/s; per lane: utilisation; cascades x probability', () => {
    const d = computeDemand(s1, work1());
    expect(d.mode).toBe('profile');
    const [a, b, c] = d.tenants;
    expect(a).toMatchObject({ effectiveFps: 10, preferredLane: 'cpu', isolatedMs: { perLane: { cpu: 3, gpu: 4 }, preferred: 3, bestMix: 2 }, busyMsPerSec: { preferred: 30, bestMix: 20 }, macsPerSec: 1e10 });
    expect(b).toMatchObject({ effectiveFps: 5, preferredLane: 'gpu', isolatedMs: { preferred: 2, bestMix: 2 }, busyMsPerSec: { preferred: 10, bestMix: 10 }, deadlineMs: 100 });
    expect(c).toMatchObject({ effectiveFps: 4, preferredLane: 'gpu', deadlineMs: 250 });
    // cpu: A's layer1 (1 ms x 10/s); gpu: A's layer0 (1 x 10) + B (2 x 5) + C (5 x 4).
    expect(d.lanes).toEqual([
      { id: 'cpu', utilisation: 0.01, busyMsPerSec: 10, byTenant: { A: 10 } },
      { id: 'gpu', utilisation: 0.04, busyMsPerSec: 40, byTenant: { A: 10, B: 10, C: 20 } },
    ]);
    expect(d.feasible).toBe(true);
    expect(d.totalMacsPerSec).toBe(1e10 + 1e10 + 2e9);
  });

  it('infeasible: a lane over 100% or a tenant slower than its deadline alone, each named', () => {
    const s = structuredClone(s1);
    s.tenants[2].arrival = { type: 'poisson', ratePerSec: 300 };
    s.tenants[0].deadlineMs = 1.5;
    const d = computeDemand(s, work1());
    expect(d.feasible).toBe(false);
    expect(d.reasons).toEqual([
      'tenant "A": alone on the machine it needs 2.00 ms (every layer on its fastest lane), over its 1.50 ms deadline',
      'tenant "C": alone on the machine it needs 5.00 ms (every layer on its fastest lane), over its 3.33 ms deadline',
      'lane "gpu": 152.0% utilised with every layer on its fastest lane (over 100%)',
    ]);
  });

  it('a layer runs only where it can; a profile without a lane, or a tenant without a profile, is an error naming it', () => {
    const w = work1();
    w.A.profile = fakeProfile('pa', 'a', LANES, [[2, null], [null, 3]]);
    expect(computeDemand(s1, w).tenants[0].isolatedMs).toEqual({ perLane: { cpu: null, gpu: null }, preferred: 5, bestMix: 5 });
    w.A.profile = fakeProfile('pa', 'a', ['cpu'], [[2], [1]]);
    expect(() => computeDemand(s1, w)).toThrow(new DemandError('profile "pa" (model a, tenant "A") has no lane "gpu" (its lanes: cpu); profile it on gpu too, or plan over its lanes only (--lanes)'));
    expect(computeDemand(s1, w, { lanes: ['cpu'] }).lanes.map((l) => l.id)).toEqual(['cpu']);
    delete w.B.profile;
    expect(() => computeDemand(s1, w)).toThrow('no profile for tenant "B" (model b)');
    w.A.profile = fakeProfile('pa', 'a', LANES, [[null, null]]);
    w.B.profile = fakeProfile('pb', 'b', LANES, [[1, 1]]);
    expect(() => computeDemand(s1, w)).toThrow('profile "pa" (model a, tenant "A"): layer 0 "layer0" has no latency on any of the lanes cpu, gpu');
  });

  it('without profiles: MACs per second only, and says so', () => {
    const w = work1();
    for (const k of Object.keys(w)) delete w[k].profile;
    const d = computeDemand(s1, w);
    expect(d).toMatchObject({ mode: 'macs', feasible: null, lanes: [], totalMacsPerSec: 2.2e10 });
    expect(d.notes[0]).toMatch(/^No profile: demand is in MACs per second only/);
  });
});

describe('load scaling (pure)', () => {
  const evaluate = (s: Scenario) => computeDemand(s, work1());

  it('by a factor: rates x s, XRBench-style deadlines follow, the factor and why are recorded', () => {
    const r = scaleScenario(s1, { factor: 2 }, { mode: 'rate' });
    expect(r.scenario.tenants.map((t) => (t.arrival.type === 'periodic' ? t.arrival.fps : t.arrival.ratePerSec))).toEqual([20, 20, 8]);
    expect(r.scenario.tenants[0].deadlineMs).toBe(50); // 100 ms = 1000 / 10 fps: the next frame's release, which moves with the rate
    expect(r.scenario.scaling).toEqual([{ from: 'test', mode: 'rate', factor: 2, tenants: ['A', 'B', 'C'], reason: 'factor 2.000 given' }]);
    const x = structuredClone(s1);
    x.tenants[0].deadlineMs = 80; // an explicit deadline that is not 1000 / fps stays
    expect(scaleScenario(x, { factor: 4 }, { mode: 'rate' }).scenario.tenants[0].deadlineMs).toBe(80);
  });

  it('to a target utilisation of the busiest lane', () => {
    const r = scaleScenario(s1, { targetUtilisation: 0.8 }, { mode: 'rate' }, { evaluate });
    expect(r.factor).toBeCloseTo(20, 9);
    expect(Math.max(...r.after!.lanes.map((l) => l.utilisation))).toBeCloseTo(0.8, 9);
    expect(r.reason).toMatch(/^target utilisation of the busiest lane 0.800 \(was 0.0400 with profiles pa, pb, pc\); reached 0.800/);
  });

  it('skewed: only tenants preferring one lane, that lane to the target; a cascade dependent follows its upstream', () => {
    const r = scaleScenario(s1, { targetUtilisation: 0.9 }, { mode: 'rate', skewLane: 'gpu' }, { evaluate });
    // B and C prefer gpu; B is a dependent of A (not scaled), so only C moves: 10 + 10 + 20 f = 900.
    expect(r.scaled).toEqual(['C']);
    expect(r.unscaled).toEqual([{ id: 'B', why: 'a cascade dependent runs at its upstream\'s rate: scale "A" to change its load' }]);
    expect(r.factor).toBeCloseTo(44, 9);
    expect(r.after!.lanes.find((l) => l.id === 'gpu')!.utilisation).toBeCloseTo(0.9, 9);
    expect(r.after!.lanes.find((l) => l.id === 'cpu')!.utilisation).toBeCloseTo(0.01, 12);
    expect(() => scaleScenario(s1, { targetUtilisation: 0.015 }, { mode: 'rate', skewLane: 'gpu' }, { evaluate })).toThrow(/no rate factor reaches it/);
    expect(() => scaleScenario(s1, { factor: 2 }, { mode: 'rate', skewLane: 'npu' }, { evaluate })).toThrow('no lane "npu" in the profiles (lanes: cpu, gpu)');
  });
});

describe('demand and scaling with resolved models', () => {
  it('XRBench VR gaming: MACs/s from the replicas; resolution scaling to a MACs/s target (replicas rebuilt at the new size)', async () => {
    const { loadScenario } = await import('../workloads/scenario-library');
    const s = loadScenario('xrbench/vr_gaming').scenario;
    const ctx = await demandContext(s);
    const d = ctx.evaluate(s);
    expect(d.mode).toBe('macs');
    const macs = ['ES_RITNet', 'GE_FBNet_C', 'HT_hand_graph_cnn_half'].map((n) => planNetwork(xrbenchNetwork(n)).macs);
    expect(d.totalMacsPerSec).toBe(60 * macs[0] + 60 * macs[1] + 45 * macs[2]);
    const r = await scaleScenarioWith(s, { targetMacsPerSec: 50e9 }, { mode: 'resolution' });
    expect(r.after!.totalMacsPerSec / 50e9).toBeGreaterThan(0.9);
    expect(r.after!.totalMacsPerSec / 50e9).toBeLessThan(1.1);
    expect(r.scenario.tenants.every((t) => t.model.kind === 'xrbench' && (t.model.options?.resolutionScale ?? 1) < 0.5)).toBe(true);
    expect(r.scenario.scaling![0]).toMatchObject({ from: 'xrbench/vr_gaming', mode: 'resolution', tenants: ['ES_RITNet', 'GE_FBNet_C', 'HT_hand_graph_cnn_half'] });
  });
});

describe('engine feature and CLI', () => {
  let home: string;
  const saved = process.env.TESSERA_HOME;
  const profileFiles: string[] = [];
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'tessera-demand-'));
    process.env.TESSERA_HOME = home;
    // Profiles named after the VR gaming networks (matched to tenants by model name), with as many layers as the spec.
    for (const [n, cpu, gpu] of [['ES_RITNet', 0.5, 0.05], ['GE_FBNet_C', 0.8, 0.02], ['HT_hand_graph_cnn_half', 0.1, 0.3]] as const) {
      const layers = xrbenchNetwork(n).layers.length;
      const p = fakeProfile(`p-${n}`, n, ['cpu:2', 'gpu'], Array.from({ length: layers }, () => [cpu, gpu]));
      const f = join(home, `${n}.profile.json`);
      writeFileSync(f, JSON.stringify(p));
      profileFiles.push(f);
    }
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TESSERA_HOME;
    else process.env.TESSERA_HOME = saved;
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, { stdout: (s) => ((out += s), true), stderr: (s) => ((err += s), true) });
    return { code, out, err };
  }

  it('tessera scenario show <xrbench scenario> --json: tenants with frame rates, cascades, layer counts and MACs, labelled', async () => {
    const r = await cli('scenario', 'show', 'xrbench/vr_gaming', '--json');
    expect(r.code).toBe(0);
    const v = JSON.parse(r.out);
    expect(v.tenants.map((t: { id: string; rate: number; cascade?: unknown; layers: number; macs: number; label: string }) => [t.id, t.rate, t.cascade ?? null, t.layers, t.macs, t.label])).toEqual([
      ['ES_RITNet', 60, null, 42, planNetwork(xrbenchNetwork('ES_RITNet')).macs, 'layer-shape replica: real layer shapes, synthetic weights'],
      ['GE_FBNet_C', 60, { upstream: 'ES_RITNet', probability: 1 }, 63, planNetwork(xrbenchNetwork('GE_FBNet_C')).macs, 'layer-shape replica: real layer shapes, synthetic weights'],
      ['HT_hand_graph_cnn_half', 45, null, 224, planNetwork(xrbenchNetwork('HT_hand_graph_cnn_half')).macs, 'layer-shape replica: real layer shapes, synthetic weights'],
    ]);
    expect(v.cascades).toEqual([{ upstream: 'ES_RITNet', dependent: 'GE_FBNet_C', probability: 1 }]);
    const text = await cli('scenario', 'show', 'xrbench/sweep/vr_gaming_25p');
    expect(text.out).toMatch(/GE_FBNet_C\s+xrbench\/GE_FBNet_C\s+60 fps\s+15\s+16\.67/);
    expect(text.out).toContain('layer-shape replica: real layer shapes, synthetic weights');
  });

  it('show --profile: demand vs capacity per lane; scale --target-util --skew-lane produces a skewed scenario at the target', async () => {
    const profArgs = profileFiles.flatMap((f) => ['--profile', f]);
    const r = await cli('scenario', 'show', 'xrbench/vr_gaming', ...profArgs, '--json');
    expect(r.code, r.err).toBe(0);
    const d = JSON.parse(r.out).demand;
    expect(d.tenants.map((t: { preferredLane: string }) => t.preferredLane)).toEqual(['gpu', 'gpu', 'cpu:2']);
    // gpu: 60 x 42 x 0.05 + 60 x 63 x 0.02 = 201.6 ms/s; cpu: 45 x 224 x 0.1 = 1008 ms/s.
    expect(d.lanes.map((l: { id: string; utilisation: number }) => [l.id, +l.utilisation.toFixed(6)])).toEqual([['cpu:2', 1.008], ['gpu', 0.2016]]);
    expect(d.feasible).toBe(false);
    expect(d.profileMatch).toEqual({ ES_RITNet: 'p-ES_RITNet (by name)', GE_FBNet_C: 'p-GE_FBNet_C (by name)', HT_hand_graph_cnn_half: 'p-HT_hand_graph_cnn_half (by name)' });
    const text = await cli('scenario', 'show', 'xrbench/vr_gaming', ...profArgs);
    expect(text.out).toMatch(/cpu:2\s+100\.8%/);

    const s = await cli('scenario', 'scale', 'xrbench/vr_gaming', '--target-util', '80%', '--skew-lane', 'gpu', ...profArgs, '--save', 'vr_gpu_skewed', '--json');
    expect(s.code, s.err).toBe(0);
    const res = JSON.parse(s.out);
    expect(res.scaled).toEqual(['ES_RITNet', 'GE_FBNet_C']);
    expect(res.after.lanes.find((l: { id: string }) => l.id === 'gpu').utilisation).toBeCloseTo(0.8, 9);
    expect(res.after.lanes.find((l: { id: string }) => l.id === 'cpu:2').utilisation).toBeCloseTo(1.008, 9);
    expect(res.scenario.scaling[0].reason).toContain('only tenants preferring lane gpu scaled (skewed load)');
    expect(res.saved.id).toBe('user/vr_gpu_skewed');
    const shown = JSON.parse((await cli('scenario', 'show', 'user/vr_gpu_skewed', '--json')).out);
    expect(shown.tenants[0].rate).toBeCloseTo(60 * res.factor, 9);
  });

  it('scale without a profile: by factor, or to a MACs/s target', async () => {
    const r = await cli('scenario', 'scale', 'xrbench/ar_gaming', '--factor', '0.1', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).scenario.tenants.map((t: { arrival: { fps: number }; deadlineMs: number }) => [+t.arrival.fps.toFixed(9), +t.deadlineMs.toFixed(6)])).toEqual([[4.5, 222.222222], [3, 333.333333], [1.5, 666.666667]]);
    const m = await cli('scenario', 'scale', 'xrbench/ar_gaming', '--target-macs', '20G', '--json');
    expect(JSON.parse(m.out).after.totalMacsPerSec).toBeCloseTo(20e9, -3);
    const bad = await cli('scenario', 'scale', 'xrbench/ar_gaming', '--target-util', '0.5', '--json');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('a utilisation target needs a profile of every model (--profile); without one, use --factor or --target-macs');
  });

  it('validate and list through the CLI; the engine answers the same', async () => {
    const f = join(home, 'bad.json');
    writeFileSync(f, JSON.stringify({ schemaVersion: 1, name: 'b', tenants: [{ id: 'gaze', model: { kind: 'xrbench', scenario: 'VR_gaming', network: 'GE_FBNet_C' }, arrival: { type: 'periodic', fps: 0 } }] }));
    const v = await cli('scenario', 'validate', f);
    expect(v.code).toBe(1);
    expect(v.out).toContain('tenant "gaze": arrival.fps must be > 0 (got 0)');
    expect((await cli('scenario', 'validate', 'xrbench/vr_gaming')).code).toBe(0);
    const list = JSON.parse((await cli('scenario', 'list', '--json')).out);
    expect(list.length).toBeGreaterThanOrEqual(13);
    const { client, close } = localClient();
    try {
      const got = await client.call('scenarios.get', { id: 'xrbench/social_interaction_b' });
      expect(got.tenants.map((t) => [t.id, t.layers])).toEqual([['ES_RITNet', 42], ['GE_FBNet_C', 63], ['AS_ED_TCN', 4]]);
      const val = await client.call('scenarios.validate', { document: { schemaVersion: 1, name: 'x', tenants: [] }, models: 'none' });
      expect(val.errors).toEqual(['tenants needs at least 1 item(s)']);
      const demand = await client.call('scenarios.demand', { id: 'xrbench/outdoor_activity_a' });
      expect(demand.mode).toBe('macs');
      expect(demand.tenants.find((t) => t.id === 'ASR_EM_24L')!.effectiveFps).toBeCloseTo(0.6, 12);
      const m = await client.call('scenarios.model', { ref: 'xrbench/ES_RITNet' });
      expect(m.label).toBe('layer-shape replica: real layer shapes, synthetic weights');
      expect(m.layers!.length).toBe(42);
      expect(m.layers![5].assumptions.join(' ')).toMatch(/stride/);
    } finally {
      close();
    }
  });
});
