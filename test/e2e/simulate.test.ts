// End to end: the Simulate view compares policies on a synthetic XRBench workload (labelled
// synthetic), shows the table, the charts with data and the timeline canvas, downloads a Perfetto
// trace; a long run is cancelled; a library scenario without profiles shows the engine's error.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, SCREENSHOTS } from '../support/browser';
import { startApp, type TestApp } from '../support/app';

// The server has no favicon: Chromium logs its 404 on the first page load (not this view's doing).
const pageErrors = (errors: string[]) => errors.filter((e) => e !== 'console: Failed to load resource: the server responded with a status of 404 (Not Found)');

const tessera = (home: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, [join(__dirname, '..', '..', 'bin', 'tessera.cjs'), ...args], { env: { ...process.env, TESSERA_HOME: home }, maxBuffer: 64 << 20 });

async function choosePolicies(page: Page, names: string[]): Promise<void> {
  await page.getByRole('button', { name: 'None', exact: true }).click();
  for (const n of names) await page.locator(`input[data-policy="${n}"]`).check();
}

describe.runIf(chromiumAvailable())('Simulate view', () => {
  let app: TestApp;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    app = await startApp('simulate');
    ({ page, errors } = await app.open('simulate'));
    await page.getByTestId('sim-scenario').waitFor({ timeout: 60_000 });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('compares fcfs, edf and dream on synthetic vr_gaming (skewed): table, charts, timeline, trace', async () => {
    await page.getByTestId('sim-scenario').selectOption('synthetic:vr_gaming:skewed');
    await expect(page.getByTestId('sim-form').textContent()).resolves.toMatch(/synthetic/i);
    await choosePolicies(page, ['fcfs', 'edf', 'dream']);
    await page.getByTestId('sim-seeds').fill('3');
    await page.getByTestId('sim-durationSec').fill('2');
    await page.getByTestId('sim-run-button').click();

    const table = page.getByTestId('sim-table');
    await table.waitFor({ timeout: 120_000 });
    expect(await table.locator('tbody tr').count()).toBe(3);
    expect(await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-policy')))).toEqual(['fcfs', 'edf', 'dream']);
    expect(await table.locator('td.sim-best').count()).toBeGreaterThan(0);

    // Sources: synthetic latencies and estimated energy are labelled as such.
    await expect(page.getByTestId('sim-latency-source').textContent()).resolves.toMatch(/SYNTHETIC/);
    await expect(page.getByTestId('sim-energy-source').textContent()).resolves.toMatch(/ESTIMATE/);
    await expect(page.getByTestId('sim-uxcost-definition').textContent()).resolves.toMatch(/Tessera's definition/);

    // Sorting by miss rate puts the lowest first.
    await table.locator('th[data-key="missRate"]').click();
    const missCells = await table.locator('td[data-key="missRate"]').allTextContents();
    const means = missCells.map((t) => parseFloat(t));
    expect([...means].sort((a, b) => a - b)).toEqual(means);

    // Charts carry data.
    for (const [id, datasets] of [['sim-chart-miss', 3], ['sim-chart-uxcost', 2], ['sim-chart-energy', 2], ['sim-chart-util', 1]] as const) {
      const box = page.getByTestId(id);
      expect(Number(await box.getAttribute('data-datasets'))).toBe(datasets);
      expect(Number(await box.getAttribute('data-points'))).toBeGreaterThan(0);
    }

    // Variant use per policy: DREAM runs the synthetic table's approximate variants within the
    // budget; FCFS runs only originals and says so in one line.
    const use = page.getByTestId('sim-variant-use');
    await expect(page.getByTestId('sim-variant-use-dream-table').textContent()).resolves.toMatch(/original \d+ · .*fp16 \d+.*accuracy budget/s);
    await expect(page.getByTestId('sim-variant-use-fcfs-none').textContent()).resolves.toMatch(/original implementation/);
    await use.screenshot({ path: join(SCREENSHOTS, 'simulate-variant-use.png') });

    // The timeline canvas is drawn (dream by default) with slices and frames.
    const canvas = page.getByTestId('sim-timeline-canvas');
    await page.waitForFunction(() => Number(document.querySelector<HTMLCanvasElement>('[data-testid="sim-timeline-canvas"]')?.dataset.drawn ?? 0) > 0, null, { timeout: 30_000 });
    expect(await canvas.getAttribute('data-policy')).toBe('dream');
    expect(Number(await canvas.getAttribute('data-rects'))).toBeGreaterThan(0);
    expect(Number(await canvas.getAttribute('data-frames'))).toBeGreaterThan(0);

    const text = (await page.getByTestId('sim-results').textContent()) ?? '';
    expect(text).not.toMatch(/\bNaN\b|\bnull\b|\bundefined\b/);

    await app.screenshot(page, 'simulate-results');

    // Zoom in with the slider: the window text changes and the canvas redraws.
    const before = await canvas.getAttribute('data-drawn');
    await page.getByTestId('sim-timeline-span').fill('600');
    await page.waitForFunction((b) => document.querySelector<HTMLCanvasElement>('[data-testid="sim-timeline-canvas"]')?.dataset.drawn !== b, before, { timeout: 10_000 });

    // Another policy's timeline.
    await page.getByTestId('sim-timeline-policy').selectOption('edf');
    await page.getByRole('button', { name: 'Show this policy' }).click();
    await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('[data-testid="sim-timeline-canvas"]')?.dataset.policy === 'edf', null, { timeout: 60_000 });
    await page.getByTestId('sim-timeline').screenshot({ path: join(SCREENSHOTS, 'simulate-timeline.png') });

    // Timeline conventions: the canvas takes the focus; W zooms in, A/D pan, the wheel zooms in proportion.
    const win = async () => ((await canvas.getAttribute('data-window')) ?? '0,0').split(',').map(Number);
    const spanOf = (w: number[]) => w[1] - w[0];
    await canvas.focus();
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe('sim-timeline-canvas');
    const w0 = await win();
    await page.keyboard.press('w');
    await page.waitForFunction((b) => document.querySelector<HTMLCanvasElement>('[data-testid="sim-timeline-canvas"]')?.dataset.window !== b, w0.map((x) => x.toFixed(6)).join(','));
    const w1 = await win();
    expect(spanOf(w1)).toBeCloseTo(spanOf(w0) * 0.7, 5);
    await page.keyboard.press('d');
    await page.waitForFunction(() => true);
    await expect.poll(async () => (await win())[0]).toBeGreaterThan(w1[0]);
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + 40);
    const w2 = await win();
    await page.mouse.wheel(0, -600);
    await expect.poll(async () => spanOf(await win())).toBeLessThan(spanOf(w2) * 0.25);
    // Drag to select a range: its statistics (frames, lanes busy) appear under the canvas.
    await page.keyboard.press('0');
    await page.mouse.move(box.x + 300, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + 500, box.y + 40, { steps: 5 });
    await page.mouse.up();
    const range = page.getByTestId('sim-timeline-canvas-range');
    await range.filter({ hasText: 'Selected' }).waitFor({ timeout: 10_000 });
    await expect(range.textContent()).resolves.toMatch(/frames? released.*late.*dropped/s);
    expect(await range.locator('[data-lane-busy]').count()).toBeGreaterThan(0);
    // Search by tenant: the matching tenant is highlighted.
    const firstTenant = ((await page.locator('.sim-legend-item').first().textContent()) ?? '').trim();
    await page.getByTestId('sim-timeline-canvas-search').fill(firstTenant.slice(0, 4));
    await expect.poll(() => canvas.getAttribute('data-highlight')).not.toBe('');
    await page.getByTestId('sim-timeline').screenshot({ path: join(SCREENSHOTS, 'simulate-timeline-range.png') });
    // Open in Perfetto while offline (navigator.onLine false; the engine's socket stays up): nothing
    // opens, the trace is saved instead and the user is told.
    await page.evaluate(() => Object.defineProperty(navigator, 'onLine', { get: () => false, configurable: true }));
    const [offlineTrace] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('sim-open-perfetto').click()]);
    expect(offlineTrace.suggestedFilename()).toMatch(/\.trace\.json$/);
    await page.getByTestId('sim-perfetto-status').filter({ hasText: 'offline' }).waitFor({ timeout: 10_000 });

    // The trace downloads and is Chrome trace JSON.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('sim-trace-json').click()]);
    expect(download.suggestedFilename()).toMatch(/edf-seed1\.trace\.json$/);
    const trace = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    expect(trace.traceEvents.length).toBeGreaterThan(0);
    expect(pageErrors(errors)).toEqual([]);
  }, 180_000);

  it('cancels a long run and says so', async () => {
    await choosePolicies(page, ['fcfs', 'edf', 'dream']);
    await page.getByTestId('sim-seeds').fill('1000');
    await page.getByTestId('sim-durationSec').fill('5');
    await page.getByTestId('sim-run-button').click();
    await page.getByTestId('sim-running').waitFor({ timeout: 10_000 });
    await page.getByTestId('sim-progress-message').filter({ hasText: /seed/ }).waitFor({ timeout: 60_000 });
    await page.getByTestId('sim-cancel').click();
    const cancelled = page.getByTestId('sim-cancelled');
    await cancelled.waitFor({ timeout: 60_000 });
    await expect(cancelled.textContent()).resolves.toMatch(/cancelled/i);
    await app.screenshot(page, 'simulate-cancelled');
    // The previous results stay.
    expect(await page.getByTestId('sim-table').count()).toBe(1);
    expect(pageErrors(errors)).toEqual([]);
  });

  it('a library scenario without profiles shows the engine\'s error', async () => {
    await page.getByTestId('sim-scenario').selectOption('xrbench/vr_gaming');
    await page.getByTestId('sim-no-profiles').waitFor({ timeout: 10_000 });
    await page.getByTestId('sim-seeds').fill('1');
    await page.getByTestId('sim-run-button').click();
    const err = page.getByTestId('sim-error');
    await err.waitFor({ timeout: 60_000 });
    await expect(err.textContent()).resolves.toMatch(/needs measured profiles/);
    await app.screenshot(page, 'simulate-library-error');
    expect(pageErrors(errors)).toEqual([]);
  });

  it('simulates a library scenario on a measured profile, and names a tenant without one', async () => {
    // A tiny user scenario (two keyword spotters) and one measured profile of its model.
    const file = join(app.home, 'kws_pair.json');
    writeFileSync(file, JSON.stringify({
      schemaVersion: 1,
      name: 'kws_pair',
      description: 'Two keyword spotters (XRBench KD_res8_narrow) at 30 and 15 fps',
      tenants: [
        { id: 'kws_fast', model: { kind: 'library', id: 'xrbench/KD_res8_narrow' }, arrival: { type: 'periodic', fps: 30 } },
        { id: 'kws_slow', model: { kind: 'library', id: 'xrbench/KD_res8_narrow' }, arrival: { type: 'periodic', fps: 15 } },
      ],
    }));
    await tessera(app.home, 'scenario', 'import', file, '--json');
    await tessera(app.home, 'profile', 'xrbench/KD_res8_narrow', '--lanes', 'cpu:1', '--budget', '3s', '--energy', 'off', '--json');
    await page.reload();
    await page.getByTestId('sim-scenario').waitFor({ timeout: 60_000 });

    await page.getByTestId('sim-scenario').selectOption('user/kws_pair');
    const profiles = page.getByTestId('sim-profiles');
    await profiles.waitFor({ timeout: 10_000 });
    expect((await profiles.evaluate((s: HTMLSelectElement) => [...s.selectedOptions].map((o) => o.value))).length).toBe(1); // suggested
    await choosePolicies(page, ['fcfs', 'dream']);
    await page.getByTestId('sim-seeds').fill('2');
    await page.getByTestId('sim-durationSec').fill('2');
    await page.getByTestId('sim-load').fill('0.9');
    await page.getByTestId('sim-run-button').click();
    await page.getByTestId('sim-head').filter({ hasText: 'user/kws_pair' }).waitFor({ timeout: 120_000 });
    await expect(page.getByTestId('sim-latency-source').textContent()).resolves.toMatch(/MEASURED.*xrbench_KD_res8_narrow/);
    await expect(page.getByTestId('sim-energy-source').textContent()).resolves.toMatch(/ESTIMATE/);
    expect(await page.getByTestId('sim-table').locator('tbody tr').count()).toBe(2);
    await app.screenshot(page, 'simulate-measured');

    // outdoor_activity_b has tenants of other models: the engine names the tenant without a profile.
    await page.getByTestId('sim-scenario').selectOption('xrbench/outdoor_activity_b');
    await profiles.waitFor({ timeout: 10_000 });
    await page.getByTestId('sim-profiles').selectOption({ index: 0 });
    await page.getByTestId('sim-run-button').click();
    const err = page.getByTestId('sim-error');
    await err.waitFor({ timeout: 60_000 });
    await expect(err.textContent()).resolves.toMatch(/tenant "ASR_EM_24L"/);
    expect(pageErrors(errors)).toEqual([]);
  }, 180_000);
});
