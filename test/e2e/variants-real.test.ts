// End to end on a real model: the Variants view's form runs `variants.run` on the npm PP-OCRv4 rec
// model (a few layers, two CPU lanes, a short budget), with progress, then shows per layer the
// variants x lanes (latency with CI, speed-up, error), the kinds that do not apply with their reasons,
// the error-vs-latency scatter with its Pareto front, the latency-gap reduction and the combinations
// with the whitelist under a limit. Needs `node scripts/build.mjs` (the engine and renderer run from dist/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app';
import { chromiumAvailable, CHROMIUM } from '../support/browser';

const real = (errors: string[]) => errors.filter((e) => !/^console: Failed to load resource: the server responded with a status of 404/.test(e));

describe.runIf(chromiumAvailable())(`Variants view on a real model in Chromium (${CHROMIUM})`, () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('variants-real');
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('runs variants on PP-OCRv4 rec from the form and shows the tables, the scatter, the gaps and the whitelist', async () => {
    const { page, errors } = await app.open('variants');
    await page.getByTestId('variants-target').fill('npm/ppocr-v4-rec');
    await page.getByTestId('variants-kinds').fill('conv-matmul,tile-h,fp16,lowrank,int8-static,reshape');
    await page.getByTestId('variants-lanes').fill('cpu:1,cpu:2');
    await page.getByTestId('variants-budget').fill('0.5');
    await page.getByTestId('variants-layers').fill('0,2');
    await page.getByTestId('variants-start').click();
    await page.getByTestId('variants-progress').waitFor();
    const rows = page.getByTestId('variants-table').locator('tbody tr');
    await rows.first().waitFor({ timeout: 150_000 });
    await expect(page.getByTestId('variants-progress-message').textContent()).resolves.toMatch(/complete: \d+ verified variants, stored in profile npm_ppocr-v4-rec/);
    const text = (await page.getByTestId('variants-table').textContent())!;
    expect(text).toMatch(/L0 p2o\.Conv\.0/);
    expect(text).toMatch(/reshape\(b=2\).*exact/s);
    expect(text).toMatch(/fp16.*approx/s);
    // Latency with its CI on both lanes, and speed-ups.
    expect(text).toMatch(/\d ± \d/);
    expect(text).toMatch(/×\d\.\d\d/);
    const headers = (await page.getByTestId('variants-table').locator('thead').textContent())!;
    expect(headers).toMatch(/cpu:1 ms ± CI.*cpu:2 ms ± CI/s);
    // Static int8 on the opset-9 model (its layers raised to 10 for ONNX Runtime's QLinearConv).
    expect(text).toMatch(/int8-static.*approx/s);
    // Kinds that do not apply say why, per layer.
    await expect(page.getByTestId('variants-inapplicable').textContent()).resolves.toMatch(/conv-matmul.*kernel 3x3 is not 1x1/s);
    await page.getByTestId('variants-scatter').locator('canvas').waitFor();
    await expect(page.locator('text=/on the Pareto front/').textContent()).resolves.toMatch(/\d+ verified, measured variants; [1-9]\d* on the Pareto front/);
    await expect(page.getByTestId('variants-gaps').locator('tbody tr').count()).resolves.toBeGreaterThan(0);
    const combos = page.getByTestId('variants-combos');
    await combos.locator('tbody tr').first().waitFor();
    const inAt = async () => Number((await page.locator('text=/\\d+ of \\d+ measured combinations/').textContent())!.match(/(\d+) of/)![1]);
    const wide = await inAt();
    await page.getByTestId('variants-limit').fill('0');
    await expect.poll(inAt).toBeLessThan(wide);
    await page.getByTestId('variants-limit').fill('0.05');
    await app.screenshot(page, 'variants-real-model');
    expect(real(errors)).toEqual([]);
  }, 180_000);
});
