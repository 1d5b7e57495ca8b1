// End to end: a live run in the app with layer variants (the Live form's "Layer variants" field, as
// tessera run --variants): a tiny CNN tenant with an accuracy budget, layer granularity, fp16 and
// low-rank variants generated, verified and loaded, DREAM choosing them; the report shows the runs
// per variant and the accuracy spent against the budget. axe on the report. Run after
// `node scripts/build.mjs`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app';
import { axe, describeViolations } from '../support/axe';
import { chromiumAvailable, SCREENSHOTS } from '../support/browser';
import { tinyCnn } from '../support/tiny-model';

const FAVICON_404 = 'console: Failed to load resource: the server responded with a status of 404 (Not Found)';

describe.runIf(chromiumAvailable())('Live view with layer variants', () => {
  let app: TestApp;
  let scenarioPath: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-e2e-live-variants-'));
    writeFileSync(join(dir, 'cnn.onnx'), tinyCnn({ channels: 16, size: 24, name: 'cnn_variants' }));
    scenarioPath = join(dir, 'variants.json');
    writeFileSync(scenarioPath, JSON.stringify({
      schemaVersion: 1,
      name: 'e2e/live-variants',
      tenants: [{ id: 'cnn', model: { kind: 'file', path: join(dir, 'cnn.onnx') }, arrival: { type: 'periodic', fps: 400 }, accuracyBudget: 0.5 }],
    }));
    app = await startApp('live-variants');
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('refuses variants at model granularity, then runs them at layer granularity and shows their use', { timeout: 240_000 }, async () => {
    const { page, errors } = await app.open('live');
    await page.getByTestId('live-start').waitFor({ timeout: 60_000 });
    await page.getByTestId('live-scenario').selectOption('__path__');
    await page.getByTestId('live-scenario-path').fill(scenarioPath);
    await page.getByTestId('live-policy').selectOption('dream');
    await page.getByTestId('live-duration').fill('3');
    await page.getByTestId('live-lanes').fill('cpu:1');
    await page.getByTestId('live-load').fill('1.5');
    await page.getByTestId('live-variants').fill('fp16,lowrank');
    await page.getByTestId('live-granularity').selectOption('model');
    await page.getByTestId('live-start').click();
    await page.getByTestId('live-form-error').filter({ hasText: 'granularity "layer"' }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('live-run').textContent()).toBe('');

    await page.getByTestId('live-granularity').selectOption('layer');
    await page.getByTestId('live-start').click();
    const use = page.getByTestId('live-variant-use');
    await use.waitFor({ timeout: 200_000 });
    const table = page.getByTestId('live-variant-use-table');
    await table.waitFor({ timeout: 5_000 }).catch(async (e) => { throw new Error(`no variant-use table; the block says: ${await use.textContent()}`, { cause: e }); });
    const text = (await table.textContent()) ?? '';
    // An approximate variant ran (fp16 or low-rank) beside the original, and the budget is named.
    expect(text).toMatch(/original \d+/);
    expect(text).toMatch(/(fp16|lowrank)[^ ]* \d+/);
    expect(text).toMatch(/0\.500 \(accuracy budget\)/);
    await use.scrollIntoViewIfNeeded();
    await app.screenshot(page, 'live-variants');
    await use.screenshot({ path: join(SCREENSHOTS, 'live-variants-block.png') });

    const violations = await axe(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    expect(errors.filter((e) => e !== FAVICON_404)).toEqual([]);
  });
});
