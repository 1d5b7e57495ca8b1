// The live runtime through the engine (live.start / live.list / live.setPolicy / live.stop, telemetry
// events) and through the CLI (`tessera run ... --json`). Workers load from dist/: build first.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main';
import { localClient } from '../engine/local';
import type { LiveReport, TelemetryBatch } from '../scheduler/live';

process.env.TESSERA_HOME = mkdtempSync(join(tmpdir(), 'tessera-live-engine-'));

describe('live engine methods', () => {
  it('starts a run, streams batched telemetry, lists it, switches its policy and stops it keeping the measurements', async () => {
    const { client, close } = localClient();
    const batches: TelemetryBatch[] = [];
    const arrivals: number[] = [];
    const off = client.on('live.telemetry', (b: TelemetryBatch) => {
      batches.push(b);
      arrivals.push(performance.now());
    });
    try {
      const started = client.call('live.start', { scenario: 'demo:tiny', policy: 'dream', durationSec: 30, lanes: 'cpu:1,cpu:1', runId: 'engine-test', seed: 4 });
      while (batches.length < 12) await new Promise((r) => setTimeout(r, 20));
      const list = await client.call('live.list', {});
      expect(list.map((r) => r.id)).toContain('engine-test');
      expect(list[0].phase).toBe('running');
      await expect(client.call('live.setPolicy', { runId: 'engine-test', policy: 'edf' })).resolves.toEqual({ runId: 'engine-test', policy: 'edf' });
      await expect(client.call('live.setPolicy', { runId: 'engine-test', policy: 'nope' })).rejects.toThrow(/unknown policy "nope"/);
      while (!batches.some((b) => b.policy === 'edf')) await new Promise((r) => setTimeout(r, 20));
      await expect(client.call('live.stop', { runId: 'engine-test' })).resolves.toEqual({ runId: 'engine-test', stopping: true });
      const report = (await started) as LiveReport;
      expect(report.status).toBe('stopped');
      expect(report.elapsedSec).toBeLessThan(25);
      expect(report.policySwitches.map((s) => s.policy)).toEqual(['edf']);
      expect(report.metrics.overall.released).toBeGreaterThan(0);
      expect(existsSync(report.files!.trace)).toBe(true);
      expect(batches.every((b) => b.runId === 'engine-test')).toBe(true);
      expect(batches.at(-1)!.phase).toBe('done');
      // Batches come at about 10 per second (loosely: CI machines are slow and shared).
      const running = arrivals.slice(0, batches.findIndex((b) => b.phase === 'done'));
      const rate = (running.length - 1) / ((running.at(-1)! - running[0]) / 1000);
      expect(rate).toBeGreaterThan(6);
      expect(await client.call('live.list', {})).toEqual([]);
      await expect(client.call('live.stop', { runId: 'engine-test' })).rejects.toThrow(/no live run "engine-test"/);
    } finally {
      off();
      close();
    }
  });

  it('runs a scenario document with a real pretrained model (Silero VAD from the model library)', async () => {
    const { client, close } = localClient();
    try {
      const scenario = {
        schemaVersion: 1,
        name: 'vad only',
        tenants: [{ id: 'vad', model: { kind: 'library', id: 'npm/silero-vad-v5' }, inputShapes: { input: [1, 512], state: [2, 1, 128], sr: [] }, inputValues: { sr: 16000 }, arrival: { type: 'periodic', fps: 31.25 }, priority: 9 }],
      };
      const report = await client.call('live.start', { scenario, policy: 'edf', durationSec: 1.5, lanes: 'cpu:1', writeFiles: false });
      expect(report.status).toBe('completed');
      expect(report.tenants[0].model).toMatch(/silero/i);
      expect(report.metrics.perTenant[0].released).toBe(47); // frames at 0, 32, ..., 1472 ms
      expect(report.metrics.perTenant[0].finished).toBeGreaterThan(40);
      expect(report.files).toBeUndefined();
    } finally {
      close();
    }
  });

  it('rejects bad requests with clear errors before anything runs', async () => {
    const { client, close } = localClient();
    try {
      await expect(client.call('live.start', { scenario: 'demo:tiny', policy: 'nope', durationSec: 1 })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/unknown policy "nope"/) });
      await expect(client.call('live.start', { scenario: '/no/such/scenario.json', policy: 'fcfs', durationSec: 1 })).rejects.toMatchObject({ code: 'bad-scenario', message: expect.stringMatching(/no scenario "\/no\/such\/scenario.json"/) });
      await expect(client.call('live.start', { scenario: 'demo:tiny', policy: 'fcfs', durationSec: 1, lanes: 'gpu:9' })).rejects.toMatchObject({ code: 'bad-scenario', message: expect.stringMatching(/lane "gpu:9"/) });
      await expect(client.call('live.start', { scenario: 'demo:tiny', policy: 'fcfs', durationSec: -1 } as never)).rejects.toMatchObject({ code: 'bad-request' });
    } finally {
      close();
    }
  });
});

describe('tessera run', () => {
  it('--switch edf@0.5s (repeatable) switches the policy at that run time, as the app\'s Switch does', async () => {
    let out = '';
    let err = '';
    const io = { stdout: (s: string) => ((out += s), true), stderr: (s: string) => ((err += s), true) };
    const code = await main(['run', 'demo:tiny', '--policy', 'dream', '--duration', '2s', '--lanes', 'cpu:1,cpu:1', '--switch', 'fcfs@1.2s', '--switch', 'edf@500ms', '--json'], io);
    expect(code).toBe(0);
    const r = JSON.parse(out) as LiveReport;
    expect(r.policySwitches.map((s) => s.policy)).toEqual(['edf', 'fcfs']);
    // On the first telemetry tick at or after the time (10 Hz), so within a few ticks on a loaded machine.
    expect(r.policySwitches[0].at).toBeGreaterThanOrEqual(0.5);
    expect(r.policySwitches[0].at).toBeLessThan(1.0);
    expect(r.policySwitches[1].at).toBeGreaterThanOrEqual(1.2);
    expect(await main(['run', 'demo:tiny', '--switch', 'edf'], io)).toBe(2);
    expect(err).toMatch(/--switch must look like POLICY@TIME/);
    err = '';
    expect(await main(['run', 'demo:tiny', '--duration', '1s', '--switch', 'nope@0.5s'], io)).toBe(1);
    expect(err).toMatch(/unknown policy "nope"/);
    err = '';
    expect(await main(['run', 'demo:tiny', '--duration', '1s', '--switch', 'edf@3s'], io)).toBe(1);
    expect(err).toMatch(/not before the end of the run/);
  });

  it('prints the report as JSON with per-tenant metrics, predicted vs measured and the trace path', async () => {
    let out = '';
    let err = '';
    const code = await main(['run', 'demo:tiny', '--policy', 'dream', '--duration', '1.5s', '--lanes', 'cpu:1,cpu:1', '--json'], { stdout: (s) => ((out += s), true), stderr: (s) => ((err += s), true) });
    expect(code).toBe(0);
    const r = JSON.parse(out) as LiveReport;
    expect(r.status).toBe('completed');
    expect(r.metrics.perTenant.map((t) => t.tenant)).toEqual(['detector', 'classifier', 'tracker']);
    expect(r.comparison!.map((c) => c.tenant)).toEqual(['detector', 'classifier', 'tracker', '(all)']);
    for (const c of r.comparison!) expect(Object.keys(c.diff)).toEqual(['meanLatencyRel', 'p95LatencyRel', 'missRatePts', 'dropRatePts']);
    expect(existsSync(r.files!.trace)).toBe(true);
    expect(err).toMatch(/frames \d+ done \d+/);
    expect(await main(['run', 'demo:tiny', '--duration', 'soon'], { stdout: () => true, stderr: (s) => ((err += s), true) })).toBe(2);
    expect(err).toMatch(/--duration must look like 30s/);
  });

  it('--scale moves a deadline at the next release with the rate and keeps any other explicit deadline', async () => {
    // XRBench-style: deadline = 1000 / fps (32 ms at 31.25 fps); issue 10 (5): it stayed 32 ms at half the rate.
    const dir = mkdtempSync(join(tmpdir(), 'tessera-run-scale-'));
    const file = join(dir, 'vad.json');
    const vad = { model: { kind: 'library', id: 'npm/silero-vad-v5' }, inputShapes: { input: [1, 512], state: [2, 1, 128], sr: [] }, inputValues: { sr: 16000 }, arrival: { type: 'periodic', fps: 31.25 } };
    writeFileSync(file, JSON.stringify({ schemaVersion: 1, name: 'vad scaled', tenants: [{ id: 'next-release', ...vad, deadlineMs: 32 }, { id: 'fixed', ...vad, deadlineMs: 20 }] }));
    let out = '';
    const code = await main(['run', file, '--policy', 'edf', '--duration', '0.3s', '--lanes', 'cpu:1', '--scale', '0.5', '--json'], { stdout: (s) => ((out += s), true), stderr: () => true });
    expect(code).toBe(0);
    const r = JSON.parse(out) as LiveReport;
    expect(r.scale).toBe(0.5);
    expect(r.tenants.map((t) => [t.id, t.arrival, +t.deadlineMs.toFixed(6)])).toEqual([
      ['next-release', { type: 'periodic', fps: 15.625 }, 64],
      ['fixed', { type: 'periodic', fps: 15.625 }, 20],
    ]);
  });
});
