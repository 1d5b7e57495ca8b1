// Crash-safe live runs: `tessera run` killed with SIGKILL at a random moment leaves its run listed
// as interrupted, with what was measured up to its last snapshot (scheduler/live/run-journal.ts).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotStatus } from '../scheduler/live/runs-store';
import type { LiveReport } from '../scheduler/live/types';

const root = join(__dirname, '..');
const bin = join(root, 'bin', 'tessera.cjs');

function tessera(home: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, TESSERA_HOME: home }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crash-safe live runs', () => {
  it('a snapshot is running while its process lives and is refreshed, interrupted otherwise', () => {
    const r = { status: 'running' as const, snapshot: { at: '', pid: 42, intervalSec: 2, inFlight: 0 } };
    expect(snapshotStatus(r, 1000, 2000, () => true)).toBe('running');
    expect(snapshotStatus(r, 1000, 2000, () => false)).toBe('interrupted');
    expect(snapshotStatus(r, 1000, 1000 + 61_000, () => true)).toBe('interrupted'); // not refreshed for a minute
    expect(snapshotStatus({ status: 'running' }, 1000, 2000, () => true)).toBe('interrupted'); // no snapshot block
    expect(snapshotStatus({ status: 'completed' }, 0, 1e12, () => false)).toBe('completed');
  });

  it('tessera run killed with SIGKILL at a random moment is listed as interrupted, with its partial data', async () => {
    expect(existsSync(join(root, 'dist', 'cli.cjs')), 'run `node scripts/build.mjs` first').toBe(true);
    const home = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
    const child = spawn(process.execPath, [bin, 'run', 'demo:tiny', '--policy', 'edf', '--duration', '60s', '--lanes', 'cpu:1', '--json'], { env: { ...process.env, TESSERA_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      // Started: the run's folder holds its first snapshot.
      const runs = join(home, 'runs');
      const t0 = Date.now();
      let id: string | undefined;
      while (!id && Date.now() - t0 < 60_000) {
        await sleep(50);
        id = existsSync(runs) ? readdirSync(runs).find((d) => existsSync(join(runs, d, 'report.json'))) : undefined;
        expect(child.exitCode, stderr).toBeNull();
      }
      expect(id, `no snapshot within 60 s; stderr: ${stderr}`).toBeDefined();
      // A random moment later, after at least one snapshot with frames in it (they come every 2 s).
      const delay = 2500 + Math.random() * 2500;
      await sleep(delay);
      expect(child.exitCode, stderr).toBeNull();
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const list = tessera(home, ['runs', 'list', '--json']);
      expect(list.status, list.stderr).toBe(0);
      const runsList = JSON.parse(list.stdout) as { id: string; status: string; released?: number; missRate?: number | null; elapsedSec?: number; files: { report: boolean; trace: boolean } }[];
      expect(runsList).toHaveLength(1);
      const s = runsList[0];
      const why = `killed ${delay.toFixed(0)} ms after the first snapshot`;
      expect(s.id, why).toBe(id);
      expect(s.status, why).toBe('interrupted');
      expect(s.released, why).toBeGreaterThan(0);
      expect(typeof s.missRate, why).toBe('number');
      expect(s.elapsedSec!, why).toBeGreaterThan(0.5);
      expect(s.elapsedSec!, why).toBeLessThan(delay / 1000 + 1);
      expect(s.files, why).toMatchObject({ report: true, trace: false });

      const show = tessera(home, ['runs', 'show', id!, '--json']);
      expect(show.status, show.stderr).toBe(0);
      const r = JSON.parse(show.stdout) as LiveReport;
      expect(r.status).toBe('interrupted');
      expect(r.warnings.join('\n')).toMatch(/^interrupted: the run's process ended without finishing it/m);
      expect(r.metrics.overall.released).toBe(s.released);
      expect(r.metrics.overall.finished + r.metrics.overall.dropped).toBe(r.metrics.overall.released); // only frames that ended are counted
      expect(r.drops!.total).toBe(r.metrics.overall.dropped);
      expect(r.snapshot!.pid).toBe(child.pid);

      // The events file: the start, frames that ended (tick by tick), snapshots; a kill may cut its last line.
      const lines = readFileSync(join(runs, id!, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
      const events = lines.flatMap((l, i) => {
        try {
          return [JSON.parse(l) as { type: string; jobs?: unknown[] }];
        } catch (e) {
          if (i < lines.length - 1) throw e;
          return [];
        }
      });
      expect(events[0]).toMatchObject({ type: 'start', runId: id, pid: child.pid, scenario: expect.any(String) });
      expect(events.filter((e) => e.type === 'snapshot').length).toBeGreaterThanOrEqual(2);
      expect(events.filter((e) => e.type === 'jobs').reduce((a, e) => a + e.jobs!.length, 0)).toBeGreaterThanOrEqual(r.metrics.overall.released);
      expect(events.some((e) => e.type === 'end')).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
