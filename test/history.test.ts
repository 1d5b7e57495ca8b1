// History and comparison: the simulations store (scheduler/history/simulations-store.ts), the
// comparison of two results (scheduler/history/compare.ts), the one history list
// (scheduler/history/history.ts), their engine methods and the CLI (`tessera simulations`, `runs
// diff`, `history`). Real data: two short synthetic simulations through simulate.compare and two
// real 1 s live runs (demo:tiny, one CPU lane). Workers load from dist/: build first.
import { readdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main';
import { localClient } from '../engine/local';
import type { LiveReport } from '../scheduler/live';
import { compareResults, compareSides, runSide, simulationSide, type ResultSide } from '../scheduler/history/compare';
import { historyItems } from '../scheduler/history/history';
import { checkSimulationId, deleteSimulation, listSimulations, readSimulation, SimulationStoreError, simulationsDir, type SimulateResult, type StoredSimulation } from '../scheduler/history/simulations-store';

const home = mkdtempSync(join(tmpdir(), 'tessera-history-'));
process.env.TESSERA_HOME = home;

let simA: SimulateResult;
let simB: SimulateResult;
let runEdf: LiveReport;
let runFcfs: LiveReport;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => ((out += s), true), stderr: (s) => ((err += s), true) });
  return { code, out, err };
}

beforeAll(async () => {
  const { client, close } = localClient();
  try {
    simA = await client.call('simulate.compare', { scenario: 'synthetic:vr_gaming', policies: ['fcfs', 'edf', 'dream'], seeds: 2, durationSec: 1, timelineSlices: 50 });
    simB = await client.call('simulate.compare', { scenario: 'synthetic:vr_gaming', policies: ['edf', 'dream'], seeds: 2, durationSec: 1, load: 1.2, timelineSlices: 50 });
    runEdf = await client.call('live.start', { scenario: 'demo:tiny', policy: 'edf', durationSec: 1, lanes: 'cpu:1', runId: 'history-edf', seed: 2 });
    runFcfs = await client.call('live.start', { scenario: 'demo:tiny', policy: 'fcfs', durationSec: 1, lanes: 'cpu:1', runId: 'history-fcfs', seed: 2 });
  } finally {
    close();
  }
}, 120_000);

describe('simulations store', () => {
  it('stores every simulate.compare result with what was asked, and reads it back whole', async () => {
    expect(simA.savedId).toMatch(/^sim-synthetic_vr_gaming-\d{8}T\d{6}-[0-9a-f]{6}$/);
    const rec = readSimulation(simA.savedId!);
    expect(rec).toMatchObject({ id: simA.savedId, scenario: 'synthetic:vr_gaming', policies: ['fcfs', 'edf', 'dream'], lanes: simA.lanes.map((l) => l.id), seeds: [1, 2], durationSec: 1 });
    expect(rec.load).toBeUndefined();
    expect(readSimulation(simB.savedId!).load).toBe(1.2);
    expect(rec.result).toEqual(simA); // the full result, timeline included
    expect(Date.now() - Date.parse(rec.createdAt)).toBeLessThan(120_000);
    // Atomic writes leave no temp files behind.
    expect(readdirSync(simulationsDir()).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('lists newest first with the best policy, and lists an unreadable file with its error', async () => {
    writeFileSync(join(simulationsDir(), 'sim-broken.json'), '{"schemaVersion": 1, "id": "sim-broken", "scen');
    writeFileSync(join(simulationsDir(), 'sim-other.json'), JSON.stringify({ schemaVersion: 1, id: 'sim-other' }));
    const list = await listSimulations();
    const ids = list.map((s) => s.id);
    expect(ids.indexOf(simB.savedId!)).toBeLessThan(ids.indexOf(simA.savedId!));
    const a = list.find((s) => s.id === simA.savedId)!;
    const best = [...simA.comparison.rows].sort((x, y) => x.missRate.mean - y.missRate.mean)[0];
    expect(a.best).toEqual({ policy: best.policy, missRate: best.missRate.mean });
    expect(a).toMatchObject({ seeds: 2, latencySource: 'synthetic', policies: ['fcfs', 'edf', 'dream'] });
    expect(list.find((s) => s.id === 'sim-broken')?.error).toMatch(/sim-broken\.json/);
    expect(list.find((s) => s.id === 'sim-other')?.error).toMatch(/missing "createdAt"/);
  });

  it('refuses ids that are paths, names a missing one, deletes', async () => {
    for (const bad of ['../x', 'a/b', '..', 'x.tmp-1']) expect(() => checkSimulationId(bad)).toThrow(SimulationStoreError);
    expect(() => readSimulation('sim-nope')).toThrow(/no stored simulation "sim-nope".*tessera simulations list/);
    await deleteSimulation('sim-broken');
    await deleteSimulation('sim-other');
    await expect(deleteSimulation('sim-broken')).rejects.toThrow(/no stored simulation "sim-broken"/);
    expect((await listSimulations()).map((s) => s.id).sort()).toEqual([simA.savedId, simB.savedId].sort());
  });

  it('does not store when asked not to', async () => {
    const { client, close } = localClient();
    try {
      const r = await client.call('simulate.compare', { scenario: 'synthetic:vr_gaming', policies: ['edf'], seeds: 1, durationSec: 0.5, timelineSlices: 1, save: false });
      expect(r.savedId).toBeUndefined();
      expect((await listSimulations()).length).toBe(2);
    } finally {
      close();
    }
  });
});

function side(over: Partial<ResultSide>): ResultSide {
  return { kind: 'simulation', id: 'x', scenario: 's', policy: 'edf', source: '', energySource: 'estimated', lanes: ['cpu:1'], spanSec: 10, overall: {}, perTenant: [], ...over };
}

describe('comparison (pure)', () => {
  it('gives deltas b - a, points for rates, relative for the rest, and which side is better', () => {
    const a = side({ id: 'a', overall: { missRate: 0.1, p95LatencyMs: 20, energyJ: 50 }, perTenant: [{ tenant: 't1', missRate: 0.2, meanLatencyMs: 10 }] });
    const b = side({ id: 'b', overall: { missRate: 0.05, p95LatencyMs: 30, energyJ: 51 }, perTenant: [{ tenant: 't1', missRate: 0.203, meanLatencyMs: 5 }] });
    const c = compareSides(a, b);
    const row = (t: string, m: string) => c.rows.find((r) => r.tenant === t && r.metric === m)!;
    expect(row('(all)', 'missRate')).toMatchObject({ a: 0.1, b: 0.05, change: 'better' });
    expect(row('(all)', 'missRate').delta).toBeCloseTo(-0.05, 12);
    expect(row('(all)', 'p95LatencyMs')).toMatchObject({ delta: 10, rel: 0.5, change: 'worse' });
    expect(row('(all)', 'energyJ')).toMatchObject({ change: 'same' }); // 2% < 5%
    expect(row('(all)', 'averageWatts')).toMatchObject({ change: 'missing' });
    expect(row('t1', 'missRate').change).toBe('same'); // 0.3 points < 0.5
    expect(row('t1', 'meanLatencyMs')).toMatchObject({ rel: -0.5, change: 'better' });
    // Energy is per run: no per-tenant energy rows.
    expect(c.rows.filter((r) => r.tenant === 't1').map((r) => r.metric)).not.toContain('energyJ');
    expect(c.warnings).toEqual([]);
  });

  it('warns about what makes the two hard to compare', () => {
    const a = side({ id: 'a', scenario: 's1', spanSec: 10, perTenant: [{ tenant: 't1' }] });
    const b = side({ id: 'b', kind: 'run', scenario: 's2', spanSec: 3, policy: 'edf -> fcfs', energySource: 'measured', lanes: ['cpu:2'], perTenant: [{ tenant: 't2' }] });
    const w = compareSides(a, b).warnings.join('\n');
    // A simulation names the scenario by id, a live report by its name: either matching is the same scenario.
    expect(compareSides(side({ scenario: 'user/pair', scenarioName: 'kws pair' }), side({ kind: 'run', scenario: 'kws pair', scenarioName: 'kws pair' })).warnings).toEqual([]);
    for (const re of [/different scenarios/, /different lanes/, /different policies/, /energy: estimated vs measured/, /different spans \(10\.0 s vs 3\.0 s\)/, /run b switched policy/, /tenant t1 only in a/, /tenant t2 only in b/]) expect(w).toMatch(re);
  });
});

describe('comparison of stored results', () => {
  it('two simulations: a policy both ran, and every common policy', () => {
    const c = compareResults({ sim: readSimulation(simA.savedId!) }, { sim: readSimulation(simB.savedId!) });
    expect(['edf', 'dream']).toContain(c.a.policy);
    expect(c.b.policy).toBe(c.a.policy);
    expect(c.byPolicy?.map((p) => p.policy)).toEqual(['edf', 'dream']);
    const edfA = simA.comparison.rows.find((r) => r.policy === 'edf')!;
    const edfB = simB.comparison.rows.find((r) => r.policy === 'edf')!;
    expect(c.byPolicy![0].rows.find((r) => r.metric === 'missRate')).toMatchObject({ a: edfA.missRate.mean, b: edfB.missRate.mean });
    expect(c.warnings.join('\n')).toMatch(/different load \(not set vs 1\.2\)/);
    // Per tenant, with mean and p99 latency from the simulator.
    const t = simA.comparison.rows[0].perTenant[0].tenant;
    const p99 = c.rows.find((r) => r.tenant === t && r.metric === 'p99LatencyMs')!;
    expect(p99.a).toBeGreaterThan(0);
    expect(p99.a!).toBeGreaterThanOrEqual(c.rows.find((r) => r.tenant === t && r.metric === 'p95LatencyMs')!.a!);
    expect(() => compareResults({ sim: readSimulation(simA.savedId!), policy: 'nope' }, { sim: readSimulation(simB.savedId!) })).toThrow(/has no policy "nope": it ran fcfs, edf, dream/);
  });

  it('two live runs: measured figures per tenant', () => {
    const c = compareResults({ run: runEdf }, { run: runFcfs });
    expect(c.a).toMatchObject({ kind: 'run', id: 'history-edf', policy: 'edf', energySource: runEdf.energy.source.kind });
    const miss = c.rows.find((r) => r.tenant === '(all)' && r.metric === 'missRate')!;
    expect(miss.a).toBe(runEdf.metrics.overall.missRate);
    expect(miss.b).toBe(runFcfs.metrics.overall.missRate);
    for (const t of runEdf.metrics.perTenant) {
      const mean = c.rows.find((r) => r.tenant === t.tenant && r.metric === 'meanLatencyMs')!;
      if (t.finished) expect(mean.a).toBeCloseTo(t.meanLatency * 1000, 9);
    }
    expect(c.warnings).toEqual(['different policies (edf vs fcfs)']);
  });

  it('a simulation against a live run: the run\u2019s policy, and a mismatch of tenants is named', () => {
    const c = compareResults({ sim: readSimulation(simA.savedId!) }, { run: runFcfs });
    expect(c.a.policy).toBe('fcfs');
    expect(c.warnings.join('\n')).toMatch(/different scenarios/);
    expect(c.warnings.join('\n')).toMatch(/tenant detector only in history-fcfs/);
    const noFcfs = compareResults({ sim: readSimulation(simB.savedId!) }, { run: runFcfs });
    expect(noFcfs.warnings[0]).toMatch(/did not run fcfs \(the run's policy\)/);
  });
});

describe('a simulation against a live run beyond the prediction tolerance', () => {
  it('names the likely reasons the run recorded; within the tolerance, or two runs, none', () => {
    const rec = readSimulation(simA.savedId!);
    const fcfs = simA.comparison.rows.find((r) => r.policy === 'fcfs')!;
    const slow = structuredClone(runFcfs);
    slow.metrics.overall.missRate = Math.min(1, fcfs.missRate.mean + 0.4);
    slow.overload.eventLoopDelayMs.max = 480;
    const f = { released: 10, meanLatencyMs: 10, p95LatencyMs: 20, missRate: 0.5, dropRate: 0 };
    slow.comparison = [{ tenant: 'detector', measured: f, predicted: { ...f, missRate: 0 }, diff: { meanLatencyRel: 0, p95LatencyRel: 0, missRatePts: 50, dropRatePts: 0 } }];
    const c = compareResults({ sim: rec }, { run: slow });
    expect(c.reasons?.join('\n')).toMatch(/event loop stalled for up to 480 ms/);
    // The run matched its own prediction: the simulation's inputs differ.
    slow.comparison = [];
    expect(compareResults({ sim: rec }, { run: slow }).reasons).toEqual([expect.stringMatching(/matched its own prediction/)]);
    // Within the tolerance: nothing to explain.
    const same = structuredClone(slow);
    same.metrics.overall = { ...same.metrics.overall, missRate: fcfs.missRate.mean, dropRate: fcfs.dropRate.mean, meanLatency: fcfs.meanLatencyMs!.mean / 1000, p95Latency: fcfs.p95LatencyMs.mean / 1000 };
    same.metrics.perTenant = [];
    expect(compareResults({ sim: rec }, { run: same }).reasons).toBeUndefined();
    expect(compareResults({ run: runEdf }, { run: slow }).reasons).toBeUndefined();
  });
});

describe('engine and CLI', () => {
  it('history.list: profiles, simulations and runs together, newest first', async () => {
    const { client, close } = localClient();
    try {
      const items = await client.call('history.list', {});
      expect(items.map((i) => i.kind).sort()).toEqual(['run', 'run', 'simulation', 'simulation']);
      const when = items.map((i) => i.when);
      expect([...when].sort().reverse()).toEqual(when);
      const run = items.find((i) => i.id === 'history-edf')!;
      expect(run).toMatchObject({ kind: 'run', scenario: runEdf.scenario, figure: { name: 'miss rate', value: runEdf.metrics.overall.missRate, unit: 'rate' } });
      expect((await client.call('history.list', { kinds: ['simulation'] })).every((i) => i.kind === 'simulation')).toBe(true);
      const cmp = await client.call('history.compare', { a: { kind: 'simulation', id: simA.savedId! }, b: { kind: 'run', id: 'history-edf' } });
      expect(cmp.kind).toBe('results');
      await expect(client.call('history.compare', { a: { kind: 'profile', id: 'p' }, b: { kind: 'run', id: 'history-edf' } })).rejects.toThrow(/a profile compares only with another profile/);
      await expect(client.call('simulations.get', { id: '../etc' })).rejects.toMatchObject({ code: 'bad-request' });
      await expect(client.call('simulations.get', { id: 'sim-nope' })).rejects.toMatchObject({ code: 'not-found' });
    } finally {
      close();
    }
  });

  it('historyItems: a profile\u2019s headline is its whole-model latency; errors are kept', () => {
    const items = historyItems({
      profiles: [{ id: 'p1', createdAt: '2026-01-02T00:00:00Z', status: 'complete', model: 'm.onnx', sha256: '', granularity: 'group', lanes: ['cpu:1'], layers: 3, machine: '', ortVersion: '', wholeModel: [{ lane: 'cpu:1', ms: 4.125 }] }],
      simulations: [{ id: 's1', createdAt: '2026-01-03T00:00:00Z', scenario: 'x', policies: ['edf'], lanes: [], seeds: 1, durationSec: 1, bytes: 1, error: 'bad' }],
      runs: [],
    });
    expect(items.map((i) => i.id)).toEqual(['s1', 'p1']);
    expect(items[1]).toMatchObject({ headline: 'whole model 4.13 ms on cpu:1', figure: { value: 4.125, unit: 'ms' } });
    expect(items[0]).toMatchObject({ error: 'bad', headline: 'unreadable' });
  });

  it('tessera simulations list|show|diff, runs diff and history, with --json', async () => {
    const list = await cli('simulations', 'list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out).map((s: { id: string }) => s.id).sort()).toEqual([simA.savedId, simB.savedId].sort());
    expect((await cli('simulations', 'list')).out).toContain(`${simA.savedId}  `);
    const show = await cli('simulations', 'show', simA.savedId!, '--json');
    expect((JSON.parse(show.out) as StoredSimulation).result.comparison.rows.length).toBe(3);
    expect((await cli('simulations', 'show', simA.savedId!)).out).toMatch(/Simulation sim-.*synthetic:vr_gaming[\s\S]*policy +miss rate/);
    const diff = await cli('simulations', 'diff', simA.savedId!, simB.savedId!, '--policy-a', 'dream', '--policy-b', 'dream', '--json');
    expect(JSON.parse(diff.out)).toMatchObject({ a: { policy: 'dream' }, b: { policy: 'dream' } });
    const text = await cli('runs', 'diff', 'history-edf', 'history-fcfs');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^a: run history-edf/);
    expect(text.out).toMatch(/\(all\) +miss rate/);
    expect(text.out).toMatch(/detector +p99 latency/);
    const rj = JSON.parse((await cli('runs', 'diff', 'history-edf', 'history-fcfs', '--json')).out);
    expect(rj.rows.length).toBeGreaterThan(8);
    expect((await cli('runs', 'diff', 'history-edf')).code).toBe(2);
    const hist = JSON.parse((await cli('history', '--json')).out);
    expect(hist).toHaveLength(4);
    expect((await cli('history', '--kind', 'run')).out.trim().split('\n')).toHaveLength(2);
    expect((await cli('history', '--kind', 'nope')).code).toBe(2);
    // history diff: any two, by id (kind found from the list) or kind:id.
    const hd = await cli('history', 'diff', simA.savedId!, 'run:history-edf', '--policy-a', 'dream', '--json');
    expect(hd.code).toBe(0);
    expect(JSON.parse(hd.out)).toMatchObject({ kind: 'results', comparison: { a: { kind: 'simulation', policy: 'dream' }, b: { kind: 'run', id: 'history-edf' } } });
    expect((await cli('history', 'diff', 'history-fcfs', 'history-edf')).out).toMatch(/^a: run history-fcfs/);
    const unknown = await cli('history', 'diff', 'nope', 'history-edf');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no stored profile, simulation or live run "nope"/);
  });
});

describe('simulationSide / runSide', () => {
  it('takes a simulation\u2019s best policy by default and a run as measured', () => {
    const rec = readSimulation(simA.savedId!);
    const s = simulationSide(rec);
    const best = [...simA.comparison.rows].filter((r) => !r.finishedNothing).sort((x, y) => x.missRate.mean - y.missRate.mean)[0];
    expect(s.policy).toBe(best.policy);
    expect(s.otherPolicies).toHaveLength(2);
    const r = runSide(runEdf);
    expect(r.overall.energyJ).toBe(runEdf.energy.joules);
    expect(r.spanSec).toBe(runEdf.elapsedSec);
  });
});
