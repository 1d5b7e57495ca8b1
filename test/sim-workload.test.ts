// The simulator on real scenarios: workloads from profiles (lane matching, latencies, energy labels,
// load scaling, errors that name the tenant / lane / profile), and end to end: a scenario file with
// two tiny models, both profiled for real, compared through the engine's simulate.compare job and
// the `tessera simulate --profile` CLI.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateCommand } from '../cli/commands/simulate';
import { localClient } from '../engine/local';
import { profileModels } from '../profiler/profile';
import { fitTransfer, transferSeconds } from '../profiler/transfer';
import type { Profile } from '../profiler/types';
import { describeWorkload } from '../scheduler/core/workload';
import { loadSimWorkload, profileWorkload } from '../scheduler/sim-workload';
import { SCENARIO_SCHEMA_VERSION, type Scenario } from '../workloads/scenario';
import { fakeProfile } from './support/fake-profile';
import { tinyCnn } from './support/tiny-model';

const model = { kind: 'file' as const, path: 'x.onnx' };
const scenario: Scenario = {
  schemaVersion: SCENARIO_SCHEMA_VERSION,
  name: 'two tenants',
  tenants: [
    { id: 'A', model, arrival: { type: 'periodic', fps: 20, jitterMs: 2 }, deadlineMs: 40, priority: 9 },
    { id: 'B', model, arrival: { type: 'poisson', ratePerSec: 5 }, cascade: { upstream: 'A', probability: 0.5 }, slos: { maxLatencyMs: 80 } },
  ],
};

describe('profileWorkload (pure, on hand-made profiles)', () => {
  const pa = fakeProfile('pa', 'a', ['cpu:1', 'webgpu'], [[2, 1], [1, null]]);
  const pb = fakeProfile('pb', 'b', ['cpu:1', 'cpu:2', 'webgpu'], [[4, 3, 2]]);

  it('fits transfer round trips to latency + bandwidth (never a negative latency)', () => {
    const f = fitTransfer([{ bytes: 0, oneWayUs: 30 }, { bytes: 1 << 20, oneWayUs: 130 }, { bytes: 4 << 20, oneWayUs: 430 }]);
    expect(f.latencyUs).toBeCloseTo(30, 6);
    expect(transferSeconds(f, 2 << 20)).toBeCloseTo(230e-6, 9);
    expect(fitTransfer([{ bytes: 0, oneWayUs: 5 }, { bytes: 1000, oneWayUs: 1000 }, { bytes: 2000, oneWayUs: 2100 }]).latencyUs).toBe(0);
    // Noise larger than the payload cost: no bandwidth term, the mean as latency.
    expect(fitTransfer([{ bytes: 0, oneWayUs: 50 }, { bytes: 1000, oneWayUs: 10 }])).toMatchObject({ latencyUs: 30, bytesPerSec: 1e12 });
    expect(f.method).toMatch(/round trip.*halved/);
  });

  it('a device lane with a measured transfer cost in its profile uses it, and says MEASURED', () => {
    const measured = structuredClone(pa);
    const measuredB = structuredClone(pb);
    for (const p of [measured, measuredB]) p.lanes.find((l) => l.id === 'webgpu')!.transfer = fitTransfer([{ bytes: 0, oneWayUs: 40 }, { bytes: 1 << 20, oneWayUs: 540 }]);
    const w = profileWorkload(scenario, [measured, measuredB]);
    expect(w.lanes[1].link!.latency).toBeCloseTo(40e-6, 9);
    expect(w.lanes[1].link!.bytesPerSec).toBeCloseTo((1 << 20) / 500e-6, -3);
    expect(w.latencySource.detail).toMatch(/webgpu MEASURED 40 µs \+ 2\.10 GB\/s/);
    expect(w.latencySource.detail).not.toMatch(/ASSUMED/);
  });

  it('takes every layer and lane from the profiles, with the scenario timing in seconds', () => {
    const w = profileWorkload(scenario, [pa, pb]);
    expect(w.lanes.map((l) => l.id)).toEqual(['cpu:1', 'webgpu']); // the lanes both profiles share
    expect(w.lanes[1].link).toBeDefined(); // device lane: an assumed link, said so in the source
    expect(w.latencySource).toMatchObject({ kind: 'measured', profileId: 'pa, pb' });
    expect(w.latencySource.detail).toMatch(/webgpu ASSUMED 20 µs \+ 12 GB\/s \(not measured/);
    expect(w.tenants[0].layers.map((l) => l.variants[0].cost.map((c) => c?.latency ?? null))).toEqual([[0.002, 0.001], [0.001, null]]);
    expect(w.tenants[0].layers[0].outputBytes).toBe(8 * 4 * 4 * 4);
    expect(w.tenants[0]).toMatchObject({ arrival: { type: 'periodic', fps: 20, jitter: 0.002 }, deadline: 0.04, priority: 9 });
    expect(w.tenants[1]).toMatchObject({ arrival: { type: 'poisson', ratePerSec: 5 }, cascade: { upstream: 'A', probability: 0.5 }, priority: 3, slos: { maxLatency: 0.08 } });
    expect(w.energySource.kind).toBe('estimated'); // the hand-made profiles carry no energy figures
  });

  it('duplicates a measured lane on request (cpu:1 twice) and names what is missing', () => {
    const w = profileWorkload(scenario, [pa, pb], ['cpu:1', 'cpu:1']);
    expect(w.lanes.map((l) => l.id)).toEqual(['cpu:1', 'cpu:1#1']);
    expect(w.tenants[1].layers[0].variants[0].cost.map((c) => c?.latency)).toEqual([0.004, 0.004]);
    expect(() => profileWorkload(scenario, [pa, pb], ['cpu:2'])).toThrow('lane cpu:2: not measured in profile(s) pa (lanes every profile has: cpu:1, webgpu)');
    const onlyGpu = fakeProfile('pc', 'c', ['webgpu'], [[1]]);
    expect(() => profileWorkload(scenario, [pa, onlyGpu], ['cpu:1'])).toThrow(/lane cpu:1: not measured in profile\(s\) pc/);
    const pd = fakeProfile('pd', 'd', ['cpu:1', 'webgpu'], [[null, 1]]);
    expect(() => profileWorkload(scenario, [pa, pd], ['cpu:1'])).toThrow('tenant "B": layer 0 (layer0) ran on none of the chosen lanes (errors: unsupported)');
    const partial: Profile = { ...pb, status: 'partial' };
    expect(() => profileWorkload(scenario, [pa, partial])).toThrow(/profile pb \(tenant "B"\) is partial: resume it/);
  });
});

describe('profileWorkload with measured layer variants (tessera variants)', () => {
  it('adds verified variants, costed as the profile latency x the paired variant/original ratio; exact ones cost no accuracy', () => {
    const pa = fakeProfile('pa', 'a', ['cpu:1', 'webgpu'], [[2, 1]]);
    const pb = fakeProfile('pb', 'b', ['cpu:1', 'webgpu'], [[4, 2]]);
    const raw = (median: number) => ({ median, p5: median, p95: median, mean: median, cv: 0, n: 10, ciHalfWidthRel: 0.01, converged: true });
    const variant = (id: string, exact: boolean, passed: boolean, cpu: number, gpu: number) => ({
      id, kind: id, family: exact ? 'exact' : 'lowrank', exact, description: '', targets: [], notes: [], bytesSize: 0, generateMs: 0, verifyMs: 0,
      verification: { passed, maxRelError: exact ? 0 : 0.1, definition: '', ...(exact ? {} : { endToEnd: { maxRelError: 0.1, maxAbsError: 0.1, relL2: 0.03, cosine: 1, snrDb: 30 } }) },
      lanes: [{ lane: 'cpu:1', raw: raw(cpu) }, { lane: 'webgpu', raw: raw(gpu) }],
    });
    pa.layers[0].variants = {
      original: [{ lane: 'cpu:1', raw: raw(4) }, { lane: 'webgpu', raw: raw(1) }],
      variants: [variant('split', true, true, 2, 1.5), variant('low', false, true, 1, 1), variant('bad', true, false, 0.1, 0.1)],
      inapplicable: [],
    };
    const w = profileWorkload(scenario, [pa, pb]);
    const vs = w.tenants[0].layers[0].variants;
    expect(vs.map((v) => v.id)).toEqual(['original', 'split', 'low']);
    expect(vs[1].cost.map((c) => c?.latency)).toEqual([0.001, 0.0015]); // 2 ms x 2/4, 1 ms x 1.5/1
    expect(vs.map((v) => v.accuracyDelta)).toEqual([0, 0, 0.03]);
    expect(profileWorkload(scenario, [pa, pb], undefined, { variants: false }).tenants[0].layers[0].variants).toHaveLength(1);
    expect(w.tenants[0].whitelist).toBeUndefined(); // no limits: the additive accuracy budget
    // With whitelist limits: the variant alone and the combinations verified together, within the limit.
    pa.layers.push({ ...pa.layers[0], index: 1, name: 'second' });
    pa.variantRun = {
      createdAt: '', kinds: [], lanes: [], budgetSec: 1, samples: '', status: 'complete', timings: { cutSec: 0, generateSec: 0, verifySec: 0, measureSec: 0 }, warnings: [],
      combinations: [
        { id: 'both', rule: '', members: [{ layer: 0, variant: 'low' }, { layer: 1, variant: 'low' }], sumOfSingles: 0.06, verifyMs: 0, endToEnd: { maxRelError: 0.2, maxAbsError: 0.2, relL2: 0.09, cosine: 1, snrDb: 20 } },
        { id: 'broken', rule: '', members: [{ layer: 0, variant: 'low' }], sumOfSingles: 0.03, verifyMs: 0, error: 'not verified: x' },
      ],
    };
    const limited = { ...scenario, tenants: scenario.tenants.map((t, i) => (i === 0 ? { ...t, maxOutputRelErr: 0.05 } : t)) };
    const wl = profileWorkload(limited, [pa, pb]).tenants[0].whitelist!;
    expect(wl.combos.map((c) => [c.id, c.variants, c.cost])).toEqual([['L0:low', [2, 0], 0.03], ['L1:low', [0, 2], 0.03]]);
    const wide = { ...scenario, tenants: scenario.tenants.map((t, i) => (i === 0 ? { ...t, maxOutputRelErr: 0.1 } : t)) };
    expect(profileWorkload(wide, [pa, pb]).tenants[0].whitelist!.combos[0]).toEqual({ id: 'both', variants: [2, 2], cost: 0.09 });
  });
});

describe('simulating a scenario on real profiles', () => {
  let home: string;
  let scenarioPath: string;
  let profiles: Profile[];

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'tessera-simwl-'));
    process.env.TESSERA_HOME = home;
    const small = join(home, 'small.onnx');
    const wide = join(home, 'wide.onnx');
    writeFileSync(small, tinyCnn({ name: 'small', channels: 4, size: 8 }));
    writeFileSync(wide, tinyCnn({ name: 'wide', channels: 16, size: 16 }));
    scenarioPath = join(home, 'pair.json');
    writeFileSync(
      scenarioPath,
      JSON.stringify({
        schemaVersion: SCENARIO_SCHEMA_VERSION,
        name: 'pair',
        tenants: [
          { id: 'small', model: { kind: 'file', path: 'small.onnx' }, arrival: { type: 'periodic', fps: 50 } },
          { id: 'wide', model: { kind: 'file', path: 'wide.onnx' }, arrival: { type: 'periodic', fps: 20 }, cascade: { upstream: 'small', probability: 0.5 } },
        ],
      }),
    );
    profiles = await profileModels([small, wide], { lanes: ['cpu:1'], budgetSec: 0.05, warmup: 2, energy: 'off' });
  }, 120_000);
  afterAll(() => {
    delete process.env.TESSERA_HOME;
  });

  it('builds the workload from the measured medians and scales it to a target load', async () => {
    const ids = profiles.map((p) => p.id);
    const w = await loadSimWorkload(scenarioPath, { profiles: ids });
    expect(w.latencySource.kind).toBe('measured');
    const wide = profiles.find((p) => p.model.name === 'wide')!;
    expect(w.tenants[1].layers.map((l) => l.variants[0].cost[0]!.latency)).toEqual(wide.layers.map((l) => l.lanes[0].raw!.median / 1000));
    const scaled = await loadSimWorkload(scenarioPath, { profiles: ids, load: 0.5 });
    expect(Math.max(...Object.values(describeWorkload(scaled).favouriteUtilisation))).toBeCloseTo(0.5, 6);
    expect(scaled.name).toMatch(/^pair \(rates x/);
    await expect(loadSimWorkload(scenarioPath, { profiles: [ids[0]] })).rejects.toThrow(/tenant "wide": none of the given profiles .* is of its model wide\.onnx/);
    await expect(loadSimWorkload(scenarioPath, { profiles: ['nope'] })).rejects.toThrow(/profile "nope"/);
    await expect(loadSimWorkload(scenarioPath)).rejects.toThrow(/needs measured profiles of its models/);
  });

  it('compares policies through the engine job with progress, a timeline, and cancellation', async () => {
    const { client, close } = localClient();
    try {
      const progress: string[] = [];
      const r = await client.call(
        'simulate.compare',
        { scenario: scenarioPath, profiles: profiles.map((p) => p.id), policies: ['fcfs', 'edf', 'dream'], seeds: 3, durationSec: 2 },
        { onProgress: (p) => progress.push(p.message) },
      );
      expect(r.comparison.rows.map((x) => x.policy)).toEqual(['fcfs', 'edf', 'dream']);
      expect(r.comparison.latencySource.kind).toBe('measured');
      expect(r.comparison.rows[0].perTenant.map((t) => t.tenant)).toEqual(['small', 'wide']);
      expect(r.timeline!.policy).toBe('dream');
      expect(r.timeline!.slices.length).toBeGreaterThan(0);
      expect(r.timeline!.lanes).toEqual(['cpu:1']);
      expect(progress[0]).toMatch(/loading/);
      const ac = new AbortController();
      const long = client.call('simulate.compare', { scenario: 'synthetic:vr_gaming', policies: ['fcfs', 'edf', 'heft', 'dream'], seeds: 50, durationSec: 10 }, { signal: ac.signal, onProgress: () => ac.abort() });
      await expect(long).rejects.toThrow(/simulation cancelled after \d+ of 200 runs/);
      const trace = await client.call('simulate.trace', { scenario: scenarioPath, profiles: profiles.map((p) => p.id), policy: 'edf', durationSec: 1 });
      expect(JSON.parse(trace.content).traceEvents.length).toBeGreaterThan(0);
      await expect(client.call('simulate.compare', { scenario: 'synthetic:vr_gaming', policies: ['nope'] })).rejects.toThrow(/unknown policy "nope"/);
    } finally {
      close();
    }
  });

  it('tessera simulate SCENARIO --profile ... --json', async () => {
    let out = '';
    const defaults = Object.fromEntries(Object.entries(simulateCommand.options).filter(([, o]) => o.default !== undefined).map(([k, o]) => [k, o.default]));
    const code = await simulateCommand.run({
      positionals: [scenarioPath],
      values: { ...defaults, profile: profiles.map((p) => p.id).join(','), policies: 'fcfs,dream', seeds: '2', duration: '1s', lanes: 'cpu:1,cpu:1' },
      json: true,
      stdout: (s) => (out += s),
      stderr: () => {},
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.latencySource).toMatchObject({ kind: 'measured' });
    expect(j.lanes.map((l: { id: string }) => l.id)).toEqual(['cpu:1', 'cpu:1#1']);
    expect(j.rows).toHaveLength(2);
  });
});
