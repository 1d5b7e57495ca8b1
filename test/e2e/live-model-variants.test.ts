// End to end: a live run in the app with a model-level variant (the Live form's "Model variants"
// field, as tessera run --model-variants): MobileNetV2 (the architecture generator's, at 160x160)
// with a whitelist limit, model granularity, its reduced-resolution model made, verified and loaded
// on the lane; DREAM under overload switches the tenant to it. The Policy state card lists the switch
// as telemetry brings it; the report shows the runs per variant and the policy's switch. axe on the
// page. Run after `node scripts/build.mjs`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchitecture } from '../../workloads/architectures';
import { startApp, type TestApp } from '../support/app';
import { axe, describeViolations } from '../support/axe';
import { chromiumAvailable, SCREENSHOTS } from '../support/browser';

const FAVICON_404 = 'console: Failed to load resource: the server responded with a status of 404 (Not Found)';

describe.runIf(chromiumAvailable())('Live view with a model variant (DREAM switching)', () => {
  let app: TestApp;
  let scenarioPath: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-e2e-live-model-variants-'));
    writeFileSync(join(dir, 'mobilenet.onnx'), buildArchitecture('mobilenetv2', { resolution: 160, width: 0.5, numClasses: 10 }).bytes);
    scenarioPath = join(dir, 'model-variants.json');
    writeFileSync(scenarioPath, JSON.stringify({
      schemaVersion: 1,
      name: 'e2e/live-model-variants',
      // Synthetic weights: the reduced model's output error is large, so the limit is loose.
      tenants: [{ id: 'cam', model: { kind: 'file', path: join(dir, 'mobilenet.onnx') }, arrival: { type: 'periodic', fps: 200 }, maxOutputRelErr: 5 }],
    }));
    app = await startApp('live-model-variants');
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('refuses model variants at layer granularity, then runs one and shows DREAM\'s switch as it happens and in the report', { timeout: 300_000 }, async () => {
    const { page, errors } = await app.open('live');
    await page.getByTestId('live-start').waitFor({ timeout: 60_000 });
    await page.getByTestId('live-scenario').selectOption('__path__');
    await page.getByTestId('live-scenario-path').fill(scenarioPath);
    await page.getByTestId('live-policy').selectOption('dream');
    await page.getByTestId('live-duration').fill('5');
    await page.getByTestId('live-lanes').fill('cpu:1');
    await page.getByTestId('live-load').fill('2');
    await page.getByTestId('live-model-variants').fill('resolution=0.4');
    await page.getByTestId('live-granularity').selectOption('layer');
    await page.getByTestId('live-start').click();
    await page.getByTestId('live-form-error').filter({ hasText: 'granularity "model"' }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('live-run').textContent()).toBe('');

    await page.getByTestId('live-granularity').selectOption('model');
    await page.getByTestId('live-start').click();
    // The switch as telemetry brings it (while the run goes).
    const switches = page.getByTestId('live-model-switches-table');
    await switches.waitFor({ timeout: 200_000 });
    expect(await switches.textContent()).toMatch(/cam.*model variant.*model:resolution\(s=0\.4\)/s);
    // The report: the variant's runs beside the original's, and the policy's switch.
    const use = page.getByTestId('live-variant-use');
    await use.waitFor({ timeout: 200_000 });
    const text = (await use.textContent()) ?? '';
    expect(text).toMatch(/model:resolution\(s=0\.4\) \d+/);
    expect(text).toMatch(/model variant model:resolution\(s=0\.4\)/);
    await page.getByTestId('live-model-switches').scrollIntoViewIfNeeded();
    await page.getByTestId('live-model-switches').screenshot({ path: join(SCREENSHOTS, 'live-model-switches.png') });
    await use.scrollIntoViewIfNeeded();
    await app.screenshot(page, 'live-model-variants');
    await use.screenshot({ path: join(SCREENSHOTS, 'live-model-variants-block.png') });

    const violations = await axe(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    expect(errors.filter((e) => e !== FAVICON_404)).toEqual([]);
  });
});
