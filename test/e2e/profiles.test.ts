// End to end: the Models & profiles view in Chromium against a real engine. A bad path shows an
// error naming it; a tiny model profiles on cpu:1 with a tiny budget and opens its detail (layer
// table, chart, sorting, CSV export, compare); a longer run is cancelled and says what was kept.
// Needs `node scripts/build.mjs` (the engine and renderer run from dist/).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app';
import { chromiumAvailable, CHROMIUM } from '../support/browser';
import { deepCnn, tinyCnn } from '../support/tiny-model';

/** Page errors, less Chromium's console line for the favicon the server does not serve (404). */
const real = (errors: string[]) => errors.filter((e) => !/^console: Failed to load resource: the server responded with a status of 404/.test(e));

describe.runIf(chromiumAvailable())(`Models & profiles view in Chromium (${CHROMIUM})`, () => {
  let app: TestApp;
  let tiny: string;
  let big: string;
  let dynamic: string;

  beforeAll(async () => {
    app = await startApp('profiles');
    tiny = join(app.home, 'tiny.onnx');
    writeFileSync(tiny, tinyCnn());
    dynamic = join(app.home, 'dynamic.onnx');
    writeFileSync(dynamic, tinyCnn({ dynamic: true }));
    big = join(app.home, 'bigger.onnx');
    // 60 layers: the cancel below lands long before the last one, however fast the machine.
    writeFileSync(big, deepCnn(60, { channels: 32, size: 32, name: 'deep_cnn' }));
  });
  afterAll(async () => {
    await app?.close();
  });

  async function fillForm(page: Page, path: string, budget: string) {
    await page.locator('[data-lane="cpu:1"]').waitFor({ timeout: 90_000 });
    await page.getByTestId('model-path').fill(path);
    for (const box of await page.locator('[data-testid="lanes"] input[type=checkbox]:not([disabled])').all()) await box.uncheck();
    await page.locator('[data-lane="cpu:1"]').check();
    await page.getByTestId('budget').fill(budget);
    await page.getByTestId('energy').selectOption('off');
  }

  it('a bad path shows an error naming the path', async () => {
    const { page, errors } = await app.open('profiles');
    const bad = join(app.home, 'no-such-model.onnx');
    await fillForm(page, bad, '0.05');
    await page.getByTestId('run-start').click();
    const failed = page.getByTestId('run-failed');
    await failed.waitFor({ timeout: 60_000 });
    await expect(failed.textContent()).resolves.toContain(bad);
    await expect(failed.getByRole('alert').count()).resolves.toBe(1);
    // A model with dynamic dims and no shape given: the error names the input and the dim.
    await page.getByTestId('model-path').fill(dynamic);
    await page.getByTestId('run-start').click();
    await page.getByTestId('run-failed').filter({ hasText: 'dynamic' }).waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('run-failed').textContent()).resolves.toMatch(/input 'x'.*\bN\b/s);
    // The model library: a replica is labelled as such, with its input shape.
    await page.getByTestId('source-library').check();
    await page.getByTestId('model-library').selectOption('xrbench/KD_res8_narrow');
    await expect(page.getByTestId('library-info').textContent()).resolves.toMatch(/layer-shape replica.*input=1\u00d71\u00d798\u00d740/);
    expect(real(errors)).toEqual([]);
    await page.close();
  });

  it('profiles a tiny model on cpu:1 and shows, sorts, exports and compares it', async () => {
    const { page, errors } = await app.open('profiles');
    for (let k = 0; k < 2; k++) {
      // Two profiles of the same model (the second without resume) to compare.
      if (k === 1) await page.goto(page.url().replace(/#.*$/, '#/profiles'));
      await fillForm(page, tiny, '0.05');
      if (k === 1) await page.getByTestId('resume').uncheck();
      await page.getByTestId('run-start').click();
      await page.waitForURL(/#\/profiles\/.+/, { timeout: 120_000 });
      await page.getByTestId('layer-table').waitFor({ timeout: 30_000 });
    }
    const rows = page.locator('[data-testid="layer-table"] tbody tr');
    expect(await rows.count()).toBe(4);
    expect(await page.locator('[data-testid="latency-chart"] canvas').count()).toBe(1);
    expect(await page.locator('[data-testid="heatmap"] tbody tr').count()).toBe(4);
    await expect(page.getByTestId('verification').textContent()).resolves.toMatch(/passed/);
    await expect(page.getByTestId('profile-facts').textContent()).resolves.toMatch(/tiny.*sha256/s);

    // Sort by the cpu:1 median: the header says so and the rows follow the medians.
    const th = page.locator('[data-testid="layer-table"] th[data-sort="ms:cpu:1"]');
    await th.click();
    await expect(th.getAttribute('aria-sort')).resolves.toBe('descending');
    const medians = async () => (await page.locator('[data-testid="layer-table"] tbody tr td[data-col="ms:cpu:1"] .prof-val').allTextContents()).map((t) => parseFloat(t));
    const desc = await medians();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await th.click();
    await expect(th.getAttribute('aria-sort')).resolves.toBe('ascending');
    const asc = await medians();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));

    // CSV export downloads the engine's content.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByTestId('export-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.split('\n').length).toBeGreaterThan(4);
    expect(csv).toMatch(/cpu:1/);
    await page.getByTestId('export-status').filter({ hasText: 'saved' }).waitFor();

    // Compare with the other profile of the same model.
    await page.locator('[data-testid="compare-with"] option', { hasText: 'same model' }).first().waitFor({ state: 'attached', timeout: 30_000 });
    await page.getByTestId('compare').click();
    await page.locator('[data-testid="diff"] table').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('diff').textContent()).resolves.toMatch(/compared/);

    // Summary first: the whole model per lane, the slowest layers, the verdict.
    const summary = page.getByTestId('profile-summary');
    await expect(summary.textContent()).resolves.toMatch(/p50.*p95.*frames\/s/s);
    await expect(page.getByTestId('summary-verdict').textContent()).resolves.toMatch(/verified/);
    expect(await page.locator('[data-testid="summary-slowest"] li').count()).toBe(4);
    await app.screenshot(page, 'profiles-summary');
    // The filter box narrows the rows; a row's drawer shows the secondary statistics.
    await page.getByTestId('layer-filter').fill('#2');
    await page.getByTestId('layer-count').filter({ hasText: '1 of 4' }).waitFor();
    await page.getByTestId('layer-toggle-2').click();
    await expect(page.locator('[data-testid="layer-table"] tr.prof-drawer').textContent()).resolves.toMatch(/timed runs.*GFLOP\/s.*in-graph/s);
    await expect(page.getByTestId('layer-toggle-2').getAttribute('aria-expanded')).resolves.toBe('true');
    await page.getByTestId('layer-filter').fill('');
    await page.locator('[data-testid="layer-table"]').scrollIntoViewIfNeeded();
    await app.screenshot(page, 'profiles-detail');
    // At 1000 px the median column is on screen (pinned beside the layer name).
    await page.setViewportSize({ width: 1000, height: 800 });
    const box = await page.locator('[data-testid="layer-table"] th[data-sort="ms:cpu:1"]').boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(1000);
    await app.screenshot(page, 'profiles-detail-1000');
    await page.setViewportSize({ width: 1400, height: 900 });
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(/NaN|undefined|\bnull\b/);
    expect(real(errors)).toEqual([]);

    // The list: both profiles, newest first, clickable.
    await page.goto(page.url().replace(/#.*$/, '#/profiles'));
    const list = page.getByTestId('profiles-list');
    await list.waitFor({ timeout: 30_000 });
    expect(await list.locator('tbody tr').count()).toBe(2);
    await expect(list.textContent()).resolves.toMatch(/complete/);
    await page.locator('[data-lane="cpu:1"]').waitFor({ timeout: 90_000 });
    await app.screenshot(page, 'profiles-list');
    expect((await page.locator('main').innerText())).not.toMatch(/NaN|undefined|\bnull\b/);
    await list.locator('tbody tr').first().click();
    await page.waitForURL(/#\/profiles\/.+/);
    await page.getByTestId('layer-table').waitFor({ timeout: 30_000 });
    await page.close();
  });

  it('cancelling a longer run shows the cancelled state and what the engine kept', async () => {
    const { page, errors } = await app.open('profiles');
    await fillForm(page, big, '10');
    await page.getByTestId('run-start').click();
    const progress = page.getByTestId('run-progress');
    await progress.waitFor({ timeout: 30_000 });
    // The progress shows where the user clicked: inside the form card, under the Start button.
    await expect(page.getByTestId('new-profile').getByTestId('run-progress').count()).resolves.toBe(1);
    await page.getByTestId('run-message').filter({ hasText: /layer \d+\/60/ }).waitFor({ timeout: 120_000 });
    await app.screenshot(page, 'profiles-running');
    await page.getByTestId('run-cancel').click();
    const cancelled = page.getByTestId('run-cancelled');
    await cancelled.waitFor({ timeout: 120_000 });
    const text = (await cancelled.textContent()) ?? '';
    expect(text).toMatch(/cancelled/);
    expect(text).toMatch(/kept the \d+ \(layer, lane\) measurements? finished before the cancel in a partial profile|No layer was finished before the cancel/);
    await app.screenshot(page, 'profiles-cancelled');
    // The partial profile is listed as resumable, and its detail shows what was measured.
    await page.getByTestId('profiles-list').filter({ hasText: 'partial (resumable)' }).waitFor({ timeout: 30_000 });
    await cancelled.getByRole('link').first().click();
    await page.getByTestId('layer-table').waitFor({ timeout: 30_000 });
    await page.getByTestId('resume-run').waitFor();
    await expect(page.getByTestId('profile-facts').textContent()).resolves.toMatch(/partial: \d+ of 60/);
    expect(await page.locator('main').innerText()).not.toMatch(/NaN|undefined|\bnull\b/);
    await app.screenshot(page, 'profiles-partial');
    expect(real(errors)).toEqual([]);
    await page.close();
  }, 180_000);
});
