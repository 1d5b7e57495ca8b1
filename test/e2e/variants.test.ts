// End to end: the Variants view in Chromium against a real engine, on a profile that `tessera
// variants` filled (generated, verified and measured on cpu:1): the variants x lanes table, the
// error-vs-latency scatter, the combinations verified together and the whitelist under a limit the
// user changes (maxOutputRelErr, and the task-level minMapIoU this classifier has no figure for); axe on it, light and dark. Needs `node scripts/build.mjs` (the engine and renderer run from dist/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVariants } from '../../profiler/variants/run';
import { startApp, type TestApp } from '../support/app';
import { axe, describeViolations } from '../support/axe';
import { chromiumAvailable, CHROMIUM } from '../support/browser';
import { tinyCnn } from '../support/tiny-model';

const real = (errors: string[]) => errors.filter((e) => !/^console: Failed to load resource: the server responded with a status of 404/.test(e));

describe.runIf(chromiumAvailable())(`Variants view in Chromium (${CHROMIUM})`, () => {
  let app: TestApp;
  let id: string;

  beforeAll(async () => {
    app = await startApp('variants');
    // Stored in the app's TESSERA_HOME (startApp sets it), where the engine reads profiles.
    const p = await runVariants({ model: tinyCnn({ channels: 16, size: 24, name: 'cnn_variants' }) }, { name: 'cnn_variants', kinds: ['exact', 'fp16', 'lowrank'], lanes: ['cpu:1'], budgetSec: 2 });
    id = p.id;
  }, 180_000);
  afterAll(async () => {
    await app?.close();
  });

  it('shows variants per layer and lane, the scatter and the whitelist under a limit', async () => {
    const { page, errors } = await app.open(`variants/${encodeURIComponent(id)}`);
    const rows = page.getByTestId('variants-table').locator('tbody tr');
    await rows.first().waitFor({ timeout: 60_000 });
    expect(await rows.count()).toBeGreaterThan(3);
    await expect(page.getByTestId('variants-table').textContent()).resolves.toMatch(/fp16.*approx/s);
    await page.getByTestId('variants-scatter').locator('canvas').waitFor();
    const combos = page.getByTestId('variants-combos');
    await combos.locator('tbody tr').first().waitFor();
    const inAt = async () => Number((await page.locator('text=/\\d+ of \\d+ measured combinations/').textContent())!.match(/(\d+) of/)![1]);
    const wide = await inAt();
    await page.getByTestId('variants-limit').fill('0');
    await expect.poll(inAt).toBeLessThan(wide); // nothing approximate fits an error of 0
    await page.getByTestId('variants-limit').fill('1');
    // A task-level limit whose figure this model lacks (a classifier has no probability map) leaves
    // every combination out, saying why; cleared, they are back.
    await page.getByTestId('variants-iou').fill('0.9');
    await expect.poll(inAt).toBe(0);
    await expect(combos.textContent()).resolves.toMatch(/minMapIoU is set but the model has no probability-map figure/);
    await expect(combos.textContent()).resolves.toMatch(/Map IoU.*VAD decisions changed/s);
    await app.screenshot(page, 'variants-view-min-map-iou');
    await page.getByTestId('variants-iou').fill('');
    await expect.poll(inAt).toBeGreaterThan(0);
    await app.screenshot(page, 'variants-view');
    expect(real(errors)).toEqual([]);
  }, 120_000);

  for (const scheme of ['light', 'dark'] as const) {
    it(`axe: no serious or critical violation on the Variants view (${scheme})`, async () => {
      const { page } = await app.open(`variants/${encodeURIComponent(id)}`);
      await page.emulateMedia({ colorScheme: scheme });
      await page.getByTestId('variants-combos').locator('tbody tr').first().waitFor({ timeout: 60_000 });
      await app.screenshot(page, `a11y-variants-${scheme}`);
      expect(describeViolations(await axe(page))).toBe('');
    }, 60_000);
  }
});
