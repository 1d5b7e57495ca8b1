import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli/command';
import { policiesCommand } from '../cli/commands/policies';
import { simulateCommand } from '../cli/commands/simulate';
import { loadSimWorkload } from '../scheduler/sim-workload';
import { createPolicy } from '../scheduler/core/policies';
import { simulate } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import { chromeTrace, jobsCsv, slicesCsv, type ChromeTrace } from '../scheduler/core/trace';
import { tiny } from './scheduler-fixtures';

/** Structural checks Perfetto relies on: named lane tracks, well-formed slices, balanced flows bound inside slices. */
function checkTrace(trace: ChromeTrace, laneNames: string[]) {
  const ev = trace.traceEvents;
  const threads = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name');
  expect(threads.slice(0, laneNames.length).map((e) => e.args!.name)).toEqual(laneNames);
  const slices = ev.filter((e) => e.ph === 'X');
  expect(slices.length).toBeGreaterThan(0);
  for (const e of slices) {
    expect(e.dur).toBeGreaterThanOrEqual(0);
    expect(e.tid).toBeGreaterThanOrEqual(1);
    expect(e.tid).toBeLessThanOrEqual(laneNames.length);
    expect(Number.isFinite(e.ts)).toBe(true);
  }
  // Slices on one track never overlap.
  for (let tid = 1; tid <= laneNames.length; tid++) {
    const on = slices.filter((e) => e.tid === tid).sort((a, b) => a.ts - b.ts);
    for (let i = 1; i < on.length; i++) expect(on[i].ts).toBeGreaterThanOrEqual(on[i - 1].ts + on[i - 1].dur! - 1e-6);
  }
  const flows = new Map<number, string[]>();
  for (const e of ev.filter((x) => x.ph === 's' || x.ph === 't' || x.ph === 'f')) {
    (flows.get(e.id!) ?? flows.set(e.id!, []).get(e.id!)!).push(e.ph);
    // Each flow point lies inside a slice of its track.
    expect(slices.some((s) => s.tid === e.tid && s.ts <= e.ts && e.ts <= s.ts + s.dur!)).toBe(true);
  }
  expect(flows.size).toBeGreaterThan(0);
  for (const phs of flows.values()) {
    expect(phs[0]).toBe('s');
    expect(phs[phs.length - 1]).toBe('f');
    expect(phs.filter((p) => p === 's').length).toBe(1);
  }
}

describe('traces', () => {
  it('exports Chrome trace-event JSON: one track per lane, a slice per layer and transfer, a flow per job', () => {
    const w = tiny();
    const r = simulate(w, createPolicy('dream'), { duration: 0.5, seed: 1, recordSlices: true, latencyNoise: 0.2 });
    const trace = chromeTrace(w, r, { policy: 'dream' });
    checkTrace(JSON.parse(JSON.stringify(trace)), ['lane cpu (cpu)', 'lane gpu (gpu)']);
    expect(trace.traceEvents.filter((e) => e.ph === 'X').length).toBe(r.slices.length);
    const multi = new Set(r.slices.filter((s) => s.kind === 'layer' && s.layer === 1).map((s) => s.job));
    expect(new Set(trace.traceEvents.filter((e) => e.ph === 's').map((e) => e.id))).toEqual(multi);
    expect(trace.metadata.latencySource).toEqual({ kind: 'synthetic', detail: 'test table' });
  });

  it('exports CSV of slices and jobs', () => {
    const w = tiny();
    const r = simulate(w, createPolicy('fcfs'), { duration: 0.2, recordSlices: true });
    const csv = slicesCsv(w, r.slices).trim().split('\n');
    expect(csv[0]).toBe('job,tenant,kind,lane,layer,variant,start_s,end_s');
    expect(csv.length).toBe(r.slices.length + 1);
    const jobs = jobsCsv(w, r.jobs).trim().split('\n');
    expect(jobs.length).toBe(r.jobs.length + 1);
    expect(jobs[1].split(',')[1]).toBe('a');
  });
});

describe('tessera simulate / policies', () => {
  const run = async (cmd: typeof simulateCommand, positionals: string[], values: Record<string, unknown>, json = false) => {
    let out = '';
    let err = '';
    const defaults = Object.fromEntries(Object.entries(cmd.options).filter(([, o]) => o.default !== undefined).map(([k, o]) => [k, o.default]));
    const code = await cmd.run({ positionals, values: { ...defaults, ...values }, json, stdout: (s) => (out += s), stderr: (s) => (err += s), signal: new AbortController().signal });
    return { code, out, err };
  };

  it('compares policies with a spread over seeds and writes a Perfetto trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-sim-'));
    const path = join(dir, 't.json');
    const r = await run(simulateCommand, ['synthetic:vr_gaming:skewed'], { policies: 'fcfs,edf,dream,terastal', seeds: '2', duration: '1s', trace: path }, true);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.rows.map((x: { policy: string }) => x.policy)).toEqual(['fcfs', 'edf', 'dream', 'terastal']);
    expect(j.latencySource.kind).toBe('synthetic');
    expect(j.rows[0].missRate).toHaveProperty('sd');
    expect(j.trace).toEqual({ path, policy: 'dream', seed: 1 });
    checkTrace(JSON.parse(readFileSync(path, 'utf8')), ['lane cpu (cpu)', 'lane gpu (gpu)']);
    const text = await run(simulateCommand, ['synthetic:social_b'], { policies: 'fcfs,dream', seeds: '1', duration: '500ms' });
    expect(text.out).toMatch(/Latencies: synthetic/);
    expect(text.out).toMatch(/UXCost = \(E \/ E_ref\)/);
    expect(text.out).toMatch(/Miss rate per tenant/);
  });

  it('rejects bad input with messages naming what is wrong', async () => {
    await expect(run(simulateCommand, ['synthetic:vr_gaming'], { policies: 'fcfs,bogus' })).rejects.toThrow(/unknown policy "bogus"; known policies: fcfs/);
    await expect(run(simulateCommand, ['xrbench:vr'], {})).rejects.toThrow(UsageError);
    await expect(loadSimWorkload('synthetic:moon_base')).rejects.toThrow(/unknown synthetic scenario "synthetic:moon_base"/);
    await expect(loadSimWorkload('synthetic:vr_gaming', { profiles: ['p1'] })).rejects.toThrow(/brings its own generated latency table/);
    await expect(run(simulateCommand, ['xrbench/vr_gaming'], {})).rejects.toThrow(/needs measured profiles of its models/);
    await expect(run(simulateCommand, ['synthetic:vr_gaming'], { duration: 'ten' })).rejects.toThrow(/--duration/);
  });

  it('lists the policies', async () => {
    const r = await run(policiesCommand as typeof simulateCommand, [], {}, true);
    const list = JSON.parse(r.out);
    expect(list.find((p: { name: string }) => p.name === 'dream').label).toBe('Tessera-DREAM');
    const t = await run(policiesCommand as typeof simulateCommand, [], {});
    expect(t.out).toMatch(/terastal .*Terastal-style/);
    expect(syntheticWorkload().lanes.length).toBe(2);
  });
});
