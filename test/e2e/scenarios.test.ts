// End to end: the Scenarios view in Chromium against a real engine process. The library lists
// the seven XRBench usage scenarios; VR gaming shows its tenants, a cascade graph with a node per
// tenant and an edge per cascade, and its MACs/s demand; a malformed scenario file is rejected with
// errors naming the tenant and field; scaling saves a new user scenario; and demand vs capacity
// runs on a real (short) profile of a tiny XRBench replica measured here.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app';
import { chromiumAvailable, SCREENSHOTS } from '../support/browser';

const run = promisify(execFile);
const USAGE = ['ar_assistant', 'ar_gaming', 'outdoor_activity_a', 'outdoor_activity_b', 'social_interaction_a', 'social_interaction_b', 'vr_gaming'].map((s) => `xrbench/${s}`);
const LONG = { timeout: 60_000 };
/**
 * Page errors, less Chromium's console line for the missing /favicon.ico (the server has none;
 * playwright does not report favicon requests, so the URL cannot be checked).
 */
const real = (errors: string[]) => errors.filter((e) => !/^console: Failed to load resource: the server responded with a status of 404/.test(e));

describe.runIf(chromiumAvailable())('Scenarios view', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('scenarios');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists the library by source with all seven XRBench usage scenarios; validates a malformed file naming tenant and field', async () => {
    const { page, errors } = await app.open('scenarios');
    const xr = page.locator('[data-group="xrbench"]');
    await xr.locator('a[data-scenario-id]').first().waitFor(LONG);
    const ids = await xr.locator('a[data-scenario-id]').evaluateAll((as) => as.map((a) => a.getAttribute('data-scenario-id')));
    expect(ids.sort()).toEqual([...USAGE].sort());
    expect(await page.locator('[data-group="sweep"] a[data-scenario-id]').count()).toBe(4);
    expect(await page.locator('[data-group="mixed"] a[data-scenario-id]').count()).toBeGreaterThanOrEqual(2);
    await expect(page.locator('[data-group="user"]').textContent()).resolves.toContain('None yet');

    const bad = join(app.home, 'bad-scenario.json');
    writeFileSync(bad, JSON.stringify({
      schemaVersion: 1,
      name: 'broken',
      tenants: [
        { id: 'gaze', model: { kind: 'xrbench', scenario: 'VR_gaming', network: 'GE_FBNet_C' }, arrival: { type: 'periodic', fps: 0 } },
        { id: 'hands', model: { kind: 'xrbench', scenario: 'VR_gaming', network: 'HT_hand_graph_cnn_half' }, arrival: { type: 'periodic', fps: 30 }, cascade: { upstream: 'nobody', probability: 0.5 } },
      ],
    }));
    await page.getByTestId('validate-path').fill(bad);
    await page.getByRole('button', { name: 'Validate' }).click();
    const errs = page.getByTestId('validate-errors');
    await errs.waitFor(LONG);
    const text = (await errs.textContent()) ?? '';
    expect(text).toContain('tenant "gaze"');
    expect(text).toContain('arrival.fps');
    expect(await page.getByRole('button', { name: 'Import into my library' }).isDisabled()).toBe(true);
    await app.screenshot(page, 'scenarios-list');

    const good = join(app.home, 'gaze-only.json');
    writeFileSync(good, JSON.stringify({ schemaVersion: 1, name: 'gaze only', tenants: [{ id: 'gaze', model: { kind: 'library', id: 'xrbench/GE_FBNet_C' }, arrival: { type: 'periodic', fps: 30 } }] }));
    await page.getByTestId('validate-path').fill(good);
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByTestId('validate-result').filter({ hasText: 'valid' }).filter({ hasText: 'gaze only' }).waitFor(LONG);
    await page.getByRole('button', { name: 'Import into my library' }).click();
    const imported = page.getByTestId('imported-link');
    await imported.waitFor(LONG);
    await expect(imported.textContent()).resolves.toBe('Open user/gaze-only');

    await page.getByRole('tab', { name: 'Model library' }).click();
    const models = page.getByTestId('model-library');
    await models.waitFor(LONG);
    expect(await models.locator('tbody tr').count()).toBeGreaterThanOrEqual(20);
    await expect(models.textContent()).resolves.toContain('layer-shape replica');
    await app.screenshot(page, 'scenarios-models');
    expect(real(errors)).toEqual([]);
  });

  it('VR gaming: tenants, cascade graph (node per tenant, edge per cascade), MACs/s demand, a replica\'s layers, scaling saved to the library', async () => {
    const { page, errors } = await app.open(`scenarios/${encodeURIComponent('xrbench/vr_gaming')}`);
    const tenants = page.getByTestId('tenants');
    await tenants.waitFor(LONG);
    const rows = await tenants.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('ES_RITNet');
    expect(rows[0]).toContain('60 fps');
    expect(rows[1]).toMatch(/after ES_RITNet, p = 100%/);
    expect(rows[2]).toContain('HT_hand_graph_cnn_half');
    expect(rows.join(' ')).toContain('layer-shape replica');
    await expect(page.getByTestId('total-macs').textContent()).resolves.toMatch(/Total: 575\.3 GMAC\/s/);

    const graph = page.getByTestId('cascade-graph');
    expect(await graph.locator('g.node').count()).toBe(3);
    expect(await graph.locator('g.edge').count()).toBe(1);
    const edge = graph.locator('g.edge');
    expect([await edge.getAttribute('data-from'), await edge.getAttribute('data-to')]).toEqual(['ES_RITNet', 'GE_FBNet_C']);
    await expect(edge.textContent()).resolves.toBe('p = 100%');

    const macs = page.getByTestId('macs-demand');
    await macs.waitFor(LONG);
    await expect(macs.textContent()).resolves.toMatch(/not a capacity check.*575\.3 GMAC\/s/);
    await page.getByTestId('no-profiles').waitFor(LONG);
    await app.screenshot(page, 'scenario-detail');

    await tenants.getByRole('button', { name: 'xrbench/GE_FBNet_C' }).click();
    const layers = page.getByTestId('model-layers');
    await layers.waitFor(LONG);
    expect(await layers.locator('tbody tr').count()).toBe(63);
    await expect(layers.locator('tbody tr').first().textContent()).resolves.toMatch(/stride 2/);
    await expect(page.getByTestId('model-detail').textContent()).resolves.toContain('synthetic weights');
    await page.getByTestId('model-detail').screenshot({ path: join(SCREENSHOTS, 'scenario-model-layers.png') });

    await page.getByTestId('scale-value').fill('0.5');
    await page.getByTestId('scale-save').fill('vr_half');
    await page.getByRole('button', { name: 'Scale', exact: true }).click();
    const link = page.getByTestId('scaled-link');
    await link.waitFor(LONG);
    await expect(link.textContent()).resolves.toContain('user/vr_half');
    await link.click();
    await page.getByTestId('tenants').locator('tbody tr').first().filter({ hasText: '30 fps' }).waitFor(LONG);
    expect(real(errors)).toEqual([]);
  });

  it('demand vs capacity on a real short profile of a tiny replica: per-tenant table, utilisation chart, feasibility', async () => {
    // A measured profile (1-2 s on this machine) of XRBench's keyword-spotting replica, made with the CLI.
    // The built CLI (dist/, as the engine under test), not bin/tessera.cjs, which would rebuild first.
    const cli = join(__dirname, '..', '..', 'dist', 'cli.cjs');
    const script = `require(${JSON.stringify(cli)}).main(['profile', 'xrbench/KD_res8_narrow', '--budget', '2s', '--energy', 'off']).then((c) => process.exit(c))`;
    await run(process.execPath, ['-e', script], { env: { ...process.env, TESSERA_HOME: app.home }, timeout: 120_000 });
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
    const { page, errors } = await app.open(`scenarios/${encodeURIComponent('user/kws_pair')}`);
    const picker = page.getByTestId('profile-picker');
    await picker.waitFor(LONG);
    await picker.locator('input[type=checkbox]').first().check();
    await page.getByTestId('demand-run').click();
    const feas = page.getByTestId('feasibility');
    await feas.waitFor(LONG);
    await expect(feas.textContent()).resolves.toMatch(/feasible/);
    const rows = await page.getByTestId('demand-tenants').locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('cpu');
    expect(await page.getByTestId('utilisation-chart').locator('canvas').count()).toBe(1);
    await expect(page.getByTestId('lane-utilisation').textContent()).resolves.toMatch(/\d+(\.\d)?%/);
    await app.screenshot(page, 'scenario-demand');

    // Scale to 120% of the lane on the same profile, save, open it: infeasible, with the lane named.
    await page.locator('select').filter({ hasText: 'factor' }).selectOption('util');
    await page.getByTestId('scale-value').fill('120');
    await page.getByTestId('scale-save').fill('kws_overload');
    await page.getByRole('button', { name: 'Scale', exact: true }).click();
    const link = page.getByTestId('scaled-link');
    await link.waitFor(LONG);
    await expect(page.getByTestId('scale-result').textContent()).resolves.toMatch(/cpu:2 \d+(\.\d)?% → 120\.0%/);
    await link.click();
    // The old scenario's picker is still on the page until the new one renders: wait for the new one.
    await page.locator('.view-header h1', { hasText: 'kws_overload' }).waitFor(LONG);
    await page.getByTestId('profile-picker').locator('input[type=checkbox]').first().check();
    await page.getByTestId('demand-run').click();
    await page.getByTestId('feasibility').filter({ hasText: 'infeasible' }).waitFor(LONG);
    await expect(page.getByTestId('feasibility-reasons').textContent()).resolves.toMatch(/lane "cpu:2": 120\.0% utilised/);
    await app.screenshot(page, 'scenario-demand-overload');
    expect(real(errors)).toEqual([]);
  });
});
