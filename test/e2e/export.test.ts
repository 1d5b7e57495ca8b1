// End to end: the Export view lists what can be exported today (profiles, a simulated run's trace,
// live runs' files, and that the tuned schedule is not built yet); a stored profile downloads as
// CSV and JSON, and a synthetic run's trace as Perfetto JSON.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

  beforeAll(async () => {
    app = await startApp('export');
    // One small stored profile to export (8 layers, one CPU lane, a short budget).
    await promisify(execFile)(process.execPath, [join(__dirname, '..', '..', 'bin', 'tessera.cjs'), 'profile', 'xrbench/KD_res8_narrow', '--lanes', 'cpu:1', '--budget', '3s', '--energy', 'off', '--json'], { env: { ...process.env, TESSERA_HOME: app.home }, maxBuffer: 64 << 20 });
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
    await expect(page.getByTestId('export-tuned-text').textContent()).resolves.toBe('Tuned schedule export (policy, parameters, static mapping, variants, predicted figures, replay check) arrives with the tuner; not built yet.');
    await page.getByTestId('export-live').getByText(/in progress now/).waitFor({ timeout: 30_000 });
    await app.screenshot(page, 'export');

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
