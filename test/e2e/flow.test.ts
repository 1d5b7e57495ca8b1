// End to end, the linked steps (issue 15 sections 1 and 6): a scenario's Next steps profile its
// missing models in one action (progress and result in the card), then Simulate and Run live open
// with the scenario, its profiles and the lanes; a reload keeps the view, the form and the last
// result (simulation and live report); the profile form is remembered; a model file is taken by the
// file picker and by drag-and-drop (uploaded, checked, stored), a non-ONNX file is refused naming it;
// the model library is grouped by source and searchable. axe on each of these states, light and dark.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable } from '../support/browser';
import { startApp, type TestApp } from '../support/app';
import { axe, describeViolations } from '../support/axe';
import { tinyCnn } from '../support/tiny-model';

const LONG = { timeout: 120_000 };
// The server has no favicon: Chromium logs its 404 on the first page load.
const real = (errors: string[]) => errors.filter((e) => e !== 'console: Failed to load resource: the server responded with a status of 404 (Not Found)');

async function noSeriousViolations(page: Page, what: string): Promise<void> {
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(200);
    const vs = await axe(page);
    if (vs.length) found.push(`${what} (${scheme}):\n${describeViolations(vs)}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  expect(found.join('\n\n')).toBe('');
}

describe.runIf(chromiumAvailable())('linked steps and model intake', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('flow');
    mkdirSync(join(app.home, 'scenarios'), { recursive: true });
    writeFileSync(join(app.home, 'scenarios', 'kws_pair.json'), JSON.stringify({
      schemaVersion: 1,
      name: 'kws pair',
      description: 'Keyword spotting at 30 fps and a second copy after it half of the time.',
      tenants: [
        { id: 'kws', model: { kind: 'library', id: 'xrbench/KD_res8_narrow' }, arrival: { type: 'periodic', fps: 30 } },
        { id: 'kws_confirm', model: { kind: 'library', id: 'xrbench/KD_res8_narrow' }, arrival: { type: 'periodic', fps: 30 }, cascade: { upstream: 'kws', probability: 0.5 } },
      ],
    }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('scenario -> profile the missing models -> Simulate -> reload -> Run live -> reload', async () => {
    const { page, errors } = await app.open(`scenarios/${encodeURIComponent('user/kws_pair')}`);
    const next = page.getByTestId('scenario-next');
    await next.waitFor(LONG);
    await page.getByTestId('next-profiles').filter({ hasText: 'missing' }).waitFor(LONG);
    await page.getByTestId('next-lanes').fill('cpu:1,cpu:1');
    await page.getByTestId('next-budget').fill('2');
    await page.getByTestId('next-profiles').filter({ hasText: '0 of 2 tenants have a stored profile on cpu:1; missing: kws (xrbench/KD_res8_narrow), kws_confirm (xrbench/KD_res8_narrow).' }).waitFor(LONG);
    await expect(page.getByTestId('next-simulate').isDisabled()).resolves.toBe(true);
    await page.getByTestId('profile-missing').click();
    // Progress and Cancel where the user clicked.
    await next.getByTestId('job-progress').waitFor(LONG);
    await app.screenshot(page, 'flow-1-profiling-missing');
    await page.getByTestId('profile-missing-done').waitFor(LONG);
    await page.getByTestId('next-profiles').filter({ hasText: 'Every tenant (2) has a stored profile of its model on cpu:1.' }).waitFor(LONG);
    await expect(page.getByTestId('profile-missing-done').textContent()).resolves.toMatch(/On cpu:1: xrbench\/KD_res8_narrow\./);
    // The demand card below now offers the new profile.
    await page.getByTestId('profile-picker').waitFor(LONG);
    await app.screenshot(page, 'flow-2-profiled');
    await noSeriousViolations(page, 'scenario next steps');

    await page.getByTestId('next-simulate').click();
    await page.getByTestId('sim-form').waitFor(LONG);
    await expect(page.getByTestId('sim-scenario').inputValue()).resolves.toBe('user/kws_pair');
    await expect(page.getByTestId('sim-lanes').inputValue()).resolves.toBe('cpu:1,cpu:1');
    const selected = await page.getByTestId('sim-profiles').evaluate((s: HTMLSelectElement) => [...s.selectedOptions].map((o) => o.value));
    expect(selected).toHaveLength(1);
    // The carried context went into the remembered form; the URL keeps the view and the scenario.
    expect(await page.evaluate(() => location.hash)).toBe('#/simulate/user%2Fkws_pair');
    await page.getByRole('button', { name: 'None', exact: true }).click();
    for (const p of ['fcfs', 'edf']) await page.locator(`input[data-policy="${p}"]`).check();
    await page.getByTestId('sim-seeds').fill('1');
    await page.getByTestId('sim-durationSec').fill('2');
    await page.getByTestId('sim-load').fill('0.8');
    await page.getByTestId('sim-run-button').click();
    await page.getByTestId('sim-table').waitFor(LONG);
    await expect(page.getByTestId('sim-latency-source').textContent()).resolves.toMatch(/MEASURED/);
    await app.screenshot(page, 'flow-3-simulated');

    await page.reload();
    await page.getByTestId('sim-reopened').waitFor(LONG);
    // Read back from the engine's simulations store by its id (not from the browser's storage).
    await expect(page.getByTestId('sim-reopened').textContent()).resolves.toMatch(/Stored simulation \S+, read back from the engine\u2019s store/);
    await expect(page.getByTestId('sim-table').locator('tbody tr').count()).resolves.toBe(2);
    await expect(page.getByTestId('sim-scenario').inputValue()).resolves.toBe('user/kws_pair');
    await expect(page.getByTestId('sim-durationSec').inputValue()).resolves.toBe('2');
    await app.screenshot(page, 'flow-4-simulation-after-reload');

    // Back to the scenario, then Run live: scenario, lanes and profiles carried.
    await page.evaluate(() => (location.hash = `#/scenarios/${encodeURIComponent('user/kws_pair')}`));
    await page.getByTestId('next-profiles').filter({ hasText: 'Every tenant' }).waitFor(LONG);
    await expect(page.getByTestId('next-lanes').inputValue()).resolves.toBe('cpu:1,cpu:1');
    await page.getByTestId('next-live').click();
    await page.getByTestId('live-start').waitFor(LONG);
    await expect(page.getByTestId('live-scenario').inputValue()).resolves.toBe('user/kws_pair');
    await expect(page.getByTestId('live-lanes').inputValue()).resolves.toBe('cpu:1,cpu:1');
    expect(await page.locator('.live-profile-list input:checked').count()).toBe(1);
    await page.getByTestId('live-duration').fill('2');
    await noSeriousViolations(page, 'live form with carried context');
    await page.getByTestId('live-start').click();
    await page.getByTestId('live-status').locator('[data-phase="completed"]').waitFor(LONG);
    await page.reload();
    await page.getByTestId('live-reopened').waitFor(LONG);
    await expect(page.getByTestId('live-reopened').textContent()).resolves.toMatch(/kws pair under dream, read back from the run store/);
    await expect(page.getByTestId('live-lanes').inputValue()).resolves.toBe('cpu:1,cpu:1');
    await app.screenshot(page, 'flow-5-live-report-after-reload');

    // Tune (where the view exists): the scenario and its profiles carried.
    await page.evaluate(() => (location.hash = `#/scenarios/${encodeURIComponent('user/kws_pair')}`));
    await page.getByTestId('next-profiles').filter({ hasText: 'Every tenant' }).waitFor(LONG);
    await page.getByTestId('next-tune').click();
    await page.getByTestId('tune-scenario').locator('option[value="user/kws_pair"]').waitFor({ state: 'attached', ...LONG });
    await expect(page.getByTestId('tune-scenario').inputValue()).resolves.toBe('user/kws_pair');
    await expect(page.getByTestId('tune-profiles').inputValue()).resolves.toBe(selected[0]);
    expect(real(errors)).toEqual([]);
    await page.close();
  }, 240_000);

  it('Simulate opens on a scenario that fits the machine, not the GPU-skewed workload', async () => {
    const { page, errors } = await app.open('simulate');
    await page.getByTestId('sim-form').waitFor(LONG);
    const scenario = await page.getByTestId('sim-scenario').inputValue();
    expect(scenario).not.toBe('synthetic:vr_gaming:skewed');
    // The only scenario whose every model has a profile here is user/kws_pair (profiled above).
    expect(scenario).toBe('user/kws_pair');
    await expect(page.getByTestId('sim-default-why').textContent()).resolves.toMatch(/every model has a stored profile measured on this machine/);
    expect(real(errors)).toEqual([]);
    await page.close();
  });

  it('takes a model by file picker and by drag-and-drop, refuses a non-ONNX file, and remembers the form', async () => {
    const { page, errors } = await app.open('profiles');
    await page.getByTestId('model-drop').waitFor(LONG);
    const model = Buffer.from(tinyCnn({ channels: 4 }));
    await page.getByTestId('model-file').setInputFiles({ name: 'picked net.onnx', mimeType: 'application/octet-stream', buffer: model });
    await page.getByTestId('upload-done').waitFor(LONG);
    await expect(page.getByTestId('upload-done').textContent()).resolves.toMatch(/^uploaded picked net\.onnx: 0\.0 MiB, \d+ nodes, opset 13, inputs x float32\[1,4,16,16\]\. Stored as .*models\/uploads\/[0-9a-f]{64}\/picked_net\.onnx\.$/);
    const stored = await page.getByTestId('model-path').inputValue();
    expect(stored).toMatch(/picked_net\.onnx$/);
    await app.screenshot(page, 'flow-6-upload-picked');

    await page.getByTestId('model-file').setInputFiles({ name: 'notes.onnx', mimeType: 'text/plain', buffer: Buffer.from('just some text\n') });
    await page.getByTestId('upload-status').getByRole('alert').waitFor(LONG);
    await expect(page.getByTestId('upload-status').textContent()).resolves.toMatch(/Could not take notes\.onnx.*notes\.onnx: not a readable ONNX model \(it looks like a text file\).*Pick an ONNX model file/);
    await page.getByTestId('model-file').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff]) });
    await expect(page.getByTestId('upload-status').textContent()).resolves.toMatch(/photo\.jpg: not an \.onnx file/);
    await noSeriousViolations(page, 'profile form with an upload error');

    // Drag-and-drop of the same content under another name.
    const dt = await page.evaluateHandle((b64) => {
      const d = new DataTransfer();
      d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dropped.onnx'));
      return d;
    }, model.toString('base64'));
    await page.getByTestId('model-drop').dispatchEvent('drop', { dataTransfer: dt });
    await page.getByTestId('upload-done').filter({ hasText: 'dropped.onnx' }).waitFor(LONG);
    expect(await page.getByTestId('model-path').inputValue()).toBe(stored.replace(/picked_net\.onnx$/, 'dropped.onnx'));

    // Settings survive a visit elsewhere and a reload.
    await page.getByTestId('budget').fill('7');
    await page.evaluate(() => (location.hash = '#/devices'));
    await page.evaluate(() => (location.hash = '#/profiles'));
    await page.getByTestId('budget').waitFor(LONG);
    await expect(page.getByTestId('budget').inputValue()).resolves.toBe('7');
    await page.reload();
    await page.getByTestId('budget').waitFor(LONG);
    await expect(page.getByTestId('budget').inputValue()).resolves.toBe('7');
    await expect(page.getByTestId('model-path').inputValue()).resolves.toMatch(/dropped\.onnx$/);
    expect(real(errors)).toEqual([]);
    await page.close();
  });

  it('the model library is grouped by source, searchable, with size, layers and GMACs', async () => {
    const { page, errors } = await app.open('scenarios');
    await page.getByRole('tab', { name: 'Model library' }).click();
    const lib = page.getByTestId('model-library');
    await lib.waitFor(LONG);
    for (const g of ['xrbench', 'npm', 'architecture']) await page.getByTestId(`model-group-${g}`).waitFor(LONG);
    const replicas = page.getByTestId('model-group-xrbench');
    // The replica wording once for the group, not in each row.
    expect((await replicas.textContent())!.split('real layer shapes, synthetic weights').length - 1).toBe(1);
    await expect(replicas.locator('tbody').textContent()).resolves.not.toContain('synthetic weights');
    await expect(page.getByTestId('model-group-npm').locator('tbody tr').first().textContent()).resolves.toMatch(/MiB/);
    await page.getByTestId('model-search').fill('gaze');
    await expect(page.getByTestId('model-count').textContent()).resolves.toMatch(/^\d+ of \d+ models match$/);
    const rows = await lib.locator('tbody tr').allTextContents();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.toLowerCase()).toContain('gaze');
    await app.screenshot(page, 'flow-7-model-library-search');
    await noSeriousViolations(page, 'model library');
    expect(real(errors)).toEqual([]);
    await page.close();
  });
});
