// End to end: the Export view lists what can be exported today (profiles, a simulated run's trace,
// the stored live runs, and no tuned schedule yet: test/e2e/tune.test.ts covers those); a stored profile downloads as
// CSV and JSON, a synthetic run's trace as Perfetto JSON, and a real short live run's report and
// trace (a corrupt run folder beside it is listed as unreadable, saying why).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable } from '../support/browser';
import { startApp, type TestApp } from '../support/app';

// The server has no favicon: Chromium logs its 404 on the first page load (not this view's doing).
const pageErrors = (errors: string[]) => errors.filter((e) => e !== 'console: Failed to load resource: the server responded with a status of 404 (Not Found)');

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), click()]);
  return { name: d.suggestedFilename(), text: readFileSync((await d.path())!, 'utf8') };
}

describe.runIf(chromiumAvailable())('Export view', () => {
  let app: TestApp;
  let liveRunId = '';

  beforeAll(async () => {
    app = await startApp('export');
    // One small stored profile to export (8 layers, one CPU lane, a short budget).
    const tessera = (...args: string[]) => promisify(execFile)(process.execPath, [join(__dirname, '..', '..', 'bin', 'tessera.cjs'), ...args], { env: { ...process.env, TESSERA_HOME: app.home }, maxBuffer: 64 << 20 });
    await tessera('profile', 'xrbench/KD_res8_narrow', '--lanes', 'cpu:1', '--budget', '3s', '--energy', 'off', '--json');
    // One real short live run (its report and trace land in the engine's runs folder), and a run folder
    // whose report was cut off.
    const run = JSON.parse((await tessera('run', 'demo:tiny', '--policy', 'edf', '--duration', '1s', '--lanes', 'cpu:1', '--json')).stdout) as { runId: string };
    liveRunId = run.runId;
    mkdirSync(join(app.home, 'runs', 'cut-off-run'), { recursive: true });
    writeFileSync(join(app.home, 'runs', 'cut-off-run', 'report.json'), '{"runId": "cut-off-run", "sce');
  }, 180_000);
  afterAll(async () => {
    await app?.close();
  });

  it('lists what it offers and downloads a profile and a trace', async () => {
    const { page, errors } = await app.open('export');
    const rows = page.getByTestId('export-profiles-table').locator('tbody tr');
    await rows.first().waitFor({ timeout: 60_000 });
    expect(await rows.count()).toBe(1);
    await page.getByTestId('export-trace-download').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('export-live').textContent()).resolves.toMatch(/report\.json.*trace\.json/s);
    await expect(page.getByTestId('export-no-schedules').textContent({ timeout: 60_000 })).resolves.toMatch(/No tuned schedules yet/);
    await page.getByTestId('export-live').getByText(/in progress now/).waitFor({ timeout: 30_000 });
    const runRows = page.getByTestId('export-runs-table').locator('tbody tr[data-run]');
    await runRows.first().waitFor({ timeout: 60_000 });
    expect(await runRows.count()).toBe(2);
    const runRow = page.locator(`[data-testid="export-runs-table"] tr[data-run="${liveRunId}"]`);
    await expect(runRow.textContent()).resolves.toMatch(/demo:tiny.*edf.*completed.*cpu:1.*%.*(ESTIMATE|measured)/s);
    const cutOff = page.locator('[data-testid="export-runs-table"] tr[data-run="cut-off-run"]');
    await expect(cutOff.textContent()).resolves.toMatch(/unreadable/);
    await expect(page.getByTestId('export-run-error').textContent()).resolves.toMatch(/^report\.json: not valid JSON .*cut off while writing it$/);
    await expect(cutOff.getByTestId('export-run-report').count()).resolves.toBe(1); // the file is there, for inspection
    await expect(cutOff.getByTestId('export-run-trace').count()).resolves.toBe(0);
    expect(await page.getByTestId('export-runs-table').textContent()).not.toMatch(/NaN|undefined|null/);
    await app.screenshot(page, 'export');

    const liveReport = await downloaded(page, () => runRow.getByTestId('export-run-report').click());
    expect(liveReport.name).toBe(`${liveRunId}.report.json`);
    const parsed = JSON.parse(liveReport.text) as { runId: string; status: string; metrics: { overall: { released: number } } };
    expect(parsed).toMatchObject({ runId: liveRunId, status: 'completed' });
    expect(parsed.metrics.overall.released).toBeGreaterThan(0);
    await page.getByTestId('export-run-done').waitFor({ timeout: 10_000 });
    const liveTrace = await downloaded(page, () => runRow.getByTestId('export-run-trace').click());
    expect(liveTrace.name).toBe(`${liveRunId}.trace.json`);
    expect(JSON.parse(liveTrace.text).traceEvents.length).toBeGreaterThan(0);

    const csv = await downloaded(page, () => page.getByTestId('export-profile-csv').click());
    expect(csv.name).toMatch(/^xrbench_KD_res8_narrow-.*\.csv$/);
    expect(csv.text.split('\n').length).toBeGreaterThan(2);
    const json = await downloaded(page, () => page.getByTestId('export-profile-json').click());
    expect(JSON.parse(json.text).id).toBe(json.name.replace(/\.json$/, ''));

    await page.getByTestId('export-trace-duration').fill('1');
    const trace = await downloaded(page, () => page.getByTestId('export-trace-download').click());
    expect(trace.name).toMatch(/synthetic_vr_gaming_skewed-dream-seed1\.trace\.json$/);
    expect(JSON.parse(trace.text).traceEvents.length).toBeGreaterThan(0);
    await page.getByTestId('export-trace-done').waitFor({ timeout: 10_000 });
    expect(pageErrors(errors)).toEqual([]);
  });
});
