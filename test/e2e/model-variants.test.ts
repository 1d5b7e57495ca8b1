// End to end: the Variants view's "Model variants" card in Chromium against a real engine, on a
// profile that `tessera variants --kinds fp16,resolution` filled (a fully convolutional net with a
// probability-map output, measured on cpu:1): the reduced-resolution model with its end-to-end error,
// IoU and whole-model latency; axe on it. Needs `node scripts/build.mjs`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVariants } from '../../profiler/variants/run';
import { startApp, type TestApp } from '../support/app';
import { axe, describeViolations } from '../support/axe';
import { chromiumAvailable, CHROMIUM } from '../support/browser';
import { segNet } from '../support/tiny-model';

describe.runIf(chromiumAvailable())(`Variants view: model variants (${CHROMIUM})`, () => {
  let app: TestApp;
  let id: string;

  beforeAll(async () => {
    app = await startApp('model-variants');
    const file = join(mkdtempSync(join(tmpdir(), 'tessera-e2e-modelvar-')), 'seg.onnx');
    writeFileSync(file, segNet(128));
    const p = await runVariants({ model: file }, { name: 'seg_net', kinds: ['fp16', 'resolution'], lanes: ['cpu:1'], budgetSec: 2 });
    id = p.id;
  }, 240_000);
  afterAll(async () => {
    await app?.close();
  });

  it('lists the reduced-resolution model with its error, IoU and whole-model latency', async () => {
    const { page } = await app.open(`variants/${encodeURIComponent(id)}`);
    const row = page.getByTestId('variants-model').locator('tbody tr').first();
    await row.waitFor({ timeout: 60_000 });
    const text = (await row.textContent()) ?? '';
    expect(text).toMatch(/resolution\(s=0\.75\).*model.*yes/s);
    expect(text).toMatch(/probability-map-iou \d\.\d{3}/);
    expect(text).toMatch(/×\d+\.\d\d/);
    await page.getByTestId('variants-model').scrollIntoViewIfNeeded();
    await app.screenshot(page, 'variants-model');
    expect(describeViolations(await axe(page))).toBe('');
  }, 120_000);
});
