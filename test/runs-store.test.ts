// Stored live runs, three ways: the store (scheduler/live/runs-store.ts), the engine methods
// (runs.list / runs.get / runs.export) and the CLI (`tessera runs ...`). One real short live run
// (demo:tiny, one 1-thread CPU lane, 1 s) makes the files; a corrupt and a report-less run folder sit
// beside it. Workers load from dist/: build first.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main';
import { localClient } from '../engine/local';
import { runLengthText, runPolicyText } from '../renderer/views/live-model';
import type { LiveReport, TelemetryBatch } from '../scheduler/live';
import { checkRunId, listRuns, readRunFile, readRunReport, RunStoreError, runsDir } from '../scheduler/live/runs-store';

const home = mkdtempSync(join(tmpdir(), 'tessera-runs-'));
process.env.TESSERA_HOME = home;
const GOOD = 'runs-test-good';
let report: LiveReport;
const batches: TelemetryBatch[] = [];

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => ((out += s), true), stderr: (s) => ((err += s), true) });
  return { code, out, err };
}

beforeAll(async () => {
  const { client, close } = localClient();
  const off = client.on('live.telemetry', (b: TelemetryBatch) => batches.push(b));
  try {
    report = await client.call('live.start', { scenario: 'demo:tiny', policy: 'edf', durationSec: 1, lanes: 'cpu:1', runId: GOOD, seed: 2 });
  } finally {
    off();
    close();
  }
  const dir = runsDir();
  // A run cut off while writing its report, and one whose report is gone (only the trace left).
  mkdirSync(join(dir, 'runs-test-corrupt'), { recursive: true });
  writeFileSync(join(dir, 'runs-test-corrupt', 'report.json'), '{"runId": "runs-test-corrupt", "scen');
  mkdirSync(join(dir, 'runs-test-missing'), { recursive: true });
  writeFileSync(join(dir, 'runs-test-missing', 'trace.json'), '{"traceEvents": []}');
  // Valid JSON that is not a report.
  mkdirSync(join(dir, 'runs-test-notreport'), { recursive: true });
  writeFileSync(join(dir, 'runs-test-notreport', 'report.json'), '{"hello": 1}');
  // A stray file in the runs folder is not a run.
  writeFileSync(join(dir, 'notes.txt'), 'not a run');
}, 120_000);

describe('runs store', () => {
  it('lists a good, a corrupt, a report-less and a non-report run without failing', async () => {
    const list = await listRuns();
    expect(list.map((r) => r.id).sort()).toEqual(['runs-test-corrupt', GOOD, 'runs-test-missing', 'runs-test-notreport']);
    const good = list.find((r) => r.id === GOOD)!;
    expect(good).toMatchObject({ scenario: report.scenario, policy: 'edf', policySwitches: [], status: 'completed', durationSec: 1, lanes: ['cpu:1'], granularity: 'model', files: { report: true, trace: true } });
    expect(good.error).toBeUndefined();
    expect(good.elapsedSec).toBeCloseTo(report.elapsedSec, 6);
    expect(good.missRate).toBe(report.metrics.overall.missRate);
    expect(good.released).toBe(report.metrics.overall.released);
    expect(good.energySource).toBe(report.energy.source.kind);
    expect(good.startedAt).toBe(report.startedAt); // recorded by the runtime at the first release
    expect(Date.parse(good.startedAt!)).toBeLessThanOrEqual(Date.parse(good.endedAt!));
    expect(good.files.traceBytes).toBeGreaterThan(100);
    const corrupt = list.find((r) => r.id === 'runs-test-corrupt')!;
    expect(corrupt.error).toMatch(/report\.json: not valid JSON/);
    expect(corrupt.status).toBeUndefined();
    const missing = list.find((r) => r.id === 'runs-test-missing')!;
    expect(missing.error).toMatch(/no report\.json .*only the trace is there/);
    expect(missing.files).toMatchObject({ report: false, trace: true });
    expect(list.find((r) => r.id === 'runs-test-notreport')!.error).toMatch(/not a valid live run report \(missing "runId"\)/);
  });

  it('lists newest first and an absent runs folder as empty', async () => {
    const list = await listRuns();
    const times = list.map((r) => r.endedAt ?? '');
    expect([...times].sort().reverse()).toEqual(times);
    expect(await listRuns(join(home, 'nowhere'))).toEqual([]);
  });

  it('reads a report and the files; rejects path traversal and unknown ids', async () => {
    expect((await readRunReport(GOOD)).runId).toBe(GOOD);
    const trace = await readRunFile(GOOD, 'trace');
    expect(trace.filename).toBe(`${GOOD}.trace.json`);
    expect(JSON.parse(trace.content).traceEvents.length).toBeGreaterThan(0);
    expect(JSON.parse((await readRunFile(GOOD, 'report')).content).runId).toBe(GOOD);
    for (const bad of ['../runs-test-good', '..', '.', 'a/b', 'a\\b', '../../etc/passwd', '', 'x'.repeat(201), 'a..b']) {
      expect(() => checkRunId(bad)).toThrow(RunStoreError);
      await expect(readRunReport(bad)).rejects.toMatchObject({ code: 'bad-id' });
      await expect(readRunFile(bad, 'trace')).rejects.toMatchObject({ code: 'bad-id' });
    }
    await expect(readRunReport('nope')).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/no stored live run "nope".*tessera runs list/) });
    await expect(readRunReport('runs-test-missing')).rejects.toMatchObject({ code: 'missing-file' });
    await expect(readRunReport('runs-test-corrupt')).rejects.toMatchObject({ code: 'corrupt' });
    await expect(readRunFile('runs-test-missing', 'report')).rejects.toMatchObject({ code: 'missing-file' });
  });
});

describe('runs engine methods', () => {
  it('runs.list, runs.get, runs.export; unknown and bad ids are clear errors', async () => {
    const { client, close } = localClient();
    try {
      const list = await client.call('runs.list', {});
      expect(list.find((r) => r.id === GOOD)?.status).toBe('completed');
      const r = await client.call('runs.get', { id: GOOD });
      expect(r.runId).toBe(GOOD);
      expect(r.metrics.overall.released).toBe(report.metrics.overall.released);
      const t = await client.call('runs.export', { id: GOOD, file: 'trace' });
      expect(t).toMatchObject({ id: GOOD, file: 'trace', filename: `${GOOD}.trace.json` });
      expect(t.content).toBe(readFileSync(report.files!.trace, 'utf8'));
      const rep = await client.call('runs.export', { id: GOOD, file: 'report' });
      expect(JSON.parse(rep.content)).toEqual(JSON.parse(readFileSync(report.files!.report, 'utf8')));
      await expect(client.call('runs.get', { id: 'nope' })).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/"nope".*tessera runs list/) });
      await expect(client.call('runs.export', { id: 'nope', file: 'report' })).rejects.toMatchObject({ code: 'not-found' });
      await expect(client.call('runs.get', { id: '../../etc' })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/bad run id/) });
      await expect(client.call('runs.get', { id: 'runs-test-corrupt' })).rejects.toMatchObject({ code: 'bad-run' });
      await expect(client.call('runs.export', { id: GOOD, file: 'other' } as never)).rejects.toMatchObject({ code: 'bad-request' });
    } finally {
      close();
    }
  });
});

describe('tessera runs', () => {
  it('list --json, show, export --file trace --out, and errors', async () => {
    const list = await cli('runs', 'list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out).map((r: { id: string }) => r.id)).toContain(GOOD);
    const text = await cli('runs', 'list');
    expect(text.out).toMatch(new RegExp(`${GOOD}  completed .* edf  lanes cpu:1 .* miss \\d+\\.\\d%  energy (measured|ESTIMATE)  report\\+trace`));
    expect(text.out).toMatch(/runs-test-corrupt {2}UNREADABLE: .*not valid JSON/);
    const show = await cli('runs', 'show', GOOD);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(new RegExp(`Live run ${GOOD}: .*policy edf.*completed`));
    const out = join(home, 'exported-trace.json');
    const exp = await cli('runs', 'export', GOOD, '--file', 'trace', '--out', out);
    expect(exp.code).toBe(0);
    expect(exp.err).toMatch(/wrote .*exported-trace\.json/);
    expect(JSON.parse(readFileSync(out, 'utf8')).traceEvents.length).toBeGreaterThan(0);
    const expJson = await cli('runs', 'export', GOOD, '--file', 'report', '--out', join(home, 'r.json'), '--json');
    expect(JSON.parse(expJson.out)).toMatchObject({ id: GOOD, file: 'report', filename: `${GOOD}.report.json` });
    expect(existsSync(join(home, 'r.json'))).toBe(true);
    const missing = await cli('runs', 'show', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no stored live run "nope"/);
    const badFile = await cli('runs', 'export', GOOD, '--file', 'csv');
    expect(badFile.code).toBe(2);
    expect(badFile.err).toMatch(/--file must be report or trace/);
    expect((await cli('runs', 'show')).code).toBe(2);
  });
});

describe('live telemetry event-loop delay', () => {
  it('carries per-tick figures beside the cumulative ones', () => {
    expect(batches.length).toBeGreaterThan(3);
    for (const b of batches) {
      expect(b.loop.tickMaxMs).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(b.loop.tickSamples)).toBe(true);
    }
    // The cumulative max never goes down; the per-tick one is reset each batch.
    for (let i = 1; i < batches.length; i++) expect(batches[i].loop.maxMs).toBeGreaterThanOrEqual(batches[i - 1].loop.maxMs);
    expect(batches.some((b) => (b.loop.tickSamples ?? 0) > 0)).toBe(true);
  });
});

describe('stored-run formats (Export view)', () => {
  it('policy with switches and run length', () => {
    expect(runPolicyText('edf', [])).toBe('edf');
    expect(runPolicyText('edf', [{ at: 1.25, policy: 'dream' }, { at: 3, policy: 'fcfs' }])).toBe('edf → dream at 1.3 s → fcfs at 3.0 s');
    expect(runPolicyText(undefined, undefined)).toBe('–');
    expect(runLengthText(5.31, 4)).toBe('5.3 s (4 s of releases)');
    expect(runLengthText(2.04, 1.5)).toBe('2.0 s (1.5 s of releases)');
    expect(runLengthText(null, undefined)).toBe('–');
    expect(runLengthText(undefined, 3)).toBe('3 s of releases');
  });
});
