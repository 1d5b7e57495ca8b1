// The whole path, as a user walks it in the browser (issue 15's done-when): a scenario's Next steps
// profile its missing models in one action, Simulate opens with the scenario, its profiles and lanes,
// the simulation runs, Run live runs the same scenario for a few seconds, History compares the live
// run with the simulation per tenant, and after a reload both reopen from History in their own views.
// A screenshot at each step: test-results/screenshots/walkthrough-*.png.
// Small on purpose: a two-tenant user scenario of two small XRBench replicas (keyword spotting, 8
// layers; action segmentation, 4 layers), 1 s profiling budgets on one CPU lane, a 3 s simulation
// with 2 seeds and a 3 s live run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/browser';
import { startApp, type TestApp } from '../support/app';

const SCENARIO = 'user/walk_pair';
const LONG = { timeout: 90_000 };
const pageErrors = (errors: string[]) => errors.filter((e) => !/status of 404/.test(e));

describe.runIf(chromiumAvailable())('walkthrough: scenario -> profile -> simulate -> live -> compare -> reload -> reopen', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('walkthrough');
    mkdirSync(join(app.home, 'scenarios'), { recursive: true });
    writeFileSync(join(app.home, 'scenarios', 'walk_pair.json'), JSON.stringify({
      schemaVersion: 1,
      name: 'walk pair',
      description: 'Keyword spotting at 30 fps and action segmentation at 15 fps.',
      tenants: [
        { id: 'kws', model: { kind: 'library', id: 'xrbench/KD_res8_narrow' }, arrival: { type: 'periodic', fps: 30 } },
        { id: 'actions', model: { kind: 'library', id: 'xrbench/AS_ED_TCN' }, arrival: { type: 'periodic', fps: 15 } },
      ],
    }));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it('walks the whole path with a screenshot at each step', async () => {
    const { page, errors } = await app.open(`scenarios/${encodeURIComponent(SCENARIO)}`);

    // 1. The scenario: both models lack a profile; profile them in one action.
    await page.getByTestId('scenario-next').waitFor(LONG);
    await page.getByTestId('next-lanes').fill('cpu:1');
    await page.getByTestId('next-budget').fill('1');
    const profileBtn = page.getByTestId('profile-missing');
    await page.waitForFunction(() => /\(2\)/.test(document.querySelector('[data-testid="profile-missing"]')?.textContent ?? ''), null, LONG);
    expect(await page.getByTestId('next-simulate').isDisabled()).toBe(true); // needs every profile
    await app.screenshot(page, 'walkthrough-1-scenario');
    await profileBtn.click();
    await page.getByTestId('profile-missing-done').waitFor(LONG);
    await expect(page.getByTestId('profile-missing-done').textContent()).resolves.toMatch(/xrbench\/KD_res8_narrow.*xrbench\/AS_ED_TCN|xrbench\/AS_ED_TCN.*xrbench\/KD_res8_narrow/);
    await page.waitForFunction(() => !(document.querySelector('[data-testid="next-simulate"]') as HTMLButtonElement | null)?.disabled, null, LONG);
    await app.screenshot(page, 'walkthrough-2-profiled');

    // 2. Simulate, opened with the scenario, its two profiles and the lane.
    await page.getByTestId('next-simulate').click();
    await page.getByTestId('sim-scenario').waitFor(LONG);
    expect(await page.getByTestId('sim-scenario').inputValue()).toBe(SCENARIO);
    await page.getByTestId('sim-seeds').fill('2');
    await page.getByTestId('sim-durationSec').fill('3');
    await page.getByTestId('sim-load').fill('0.7');
    await page.getByTestId('sim-run-button').click();
    await page.getByTestId('sim-table').waitFor(LONG);
    await expect(page.getByTestId('sim-latency-source').textContent()).resolves.toMatch(/MEASURED/);
    const simId = ((await page.getByTestId('sim-stored').locator('code').textContent()) ?? '').trim();
    expect(simId).toMatch(/^sim-user_walk_pair-/);
    await app.screenshot(page, 'walkthrough-3-simulated');

    // 3. Run live, from the scenario's Next steps (same scenario, profiles, lane): edf for 3 s.
    await page.evaluate((s) => (location.hash = `#/scenarios/${encodeURIComponent(s)}`), SCENARIO);
    await page.waitForFunction(() => !(document.querySelector('[data-testid="next-live"]') as HTMLButtonElement | null)?.disabled && /all profiled/.test(document.querySelector('[data-testid="next-profiles"]')?.textContent ?? ''), null, LONG);
    await page.getByTestId('next-live').click();
    await page.getByTestId('live-start').waitFor(LONG);
    expect(await page.getByTestId('live-lanes').inputValue()).toBe('cpu:1');
    await page.getByTestId('live-policy').selectOption('edf');
    await page.getByTestId('live-duration').fill('3');
    await page.getByTestId('live-start').click();
    const report = page.getByTestId('live-run').getByTestId('live-report');
    await report.waitFor(LONG);
    expect(await report.getAttribute('data-status')).toBe('completed');
    await app.screenshot(page, 'walkthrough-4-live');

    // 4. History: compare the live run (A) with the simulation (B), per tenant.
    await page.keyboard.press('Escape');
    await page.evaluate(() => (location.hash = '#/history'));
    const rows = page.locator('[data-testid="history-list"] tbody tr');
    await rows.first().waitFor(LONG);
    expect(await rows.count()).toBe(4); // two profiles, the simulation, the run
    const runRow = page.locator('[data-testid="history-list"] tr[data-kind="run"]');
    const runId = (await runRow.getAttribute('data-id'))!;
    await runRow.getByTestId('history-pick').check();
    await page.locator(`[data-testid="history-list"] tr[data-kind="simulation"][data-id="${simId}"]`).getByTestId('history-pick').check();
    await page.getByTestId('history-compare-button').click();
    const table = page.getByTestId('history-diff-table');
    await table.waitFor(LONG);
    const results = (await page.getByTestId('history-results').textContent())!;
    expect(results).toMatch(/A.*live run.*edf.*lanes cpu:1.*B.*simulation.*edf.*lanes cpu:1/s);
    // The same scenario (matched by name and id), the same lane and policy: nothing to warn about there.
    const warnings = (await page.getByTestId('history-warnings').textContent().catch(() => '')) ?? '';
    expect(warnings).not.toMatch(/different scenarios|different lanes|different policies/);
    const text = (await table.textContent())!;
    for (const t of ['whole run', 'kws', 'actions', 'miss rate', 'mean latency', 'p99 latency', 'energy']) expect(text).toContain(t);
    await app.screenshot(page, 'walkthrough-5-compare');

    // 5. Reload: History lists both; each reopens in its own view.
    await page.reload();
    await rows.first().waitFor(LONG);
    expect(await rows.count()).toBe(4);
    await page.locator(`[data-testid="history-list"] tr[data-kind="simulation"][data-id="${simId}"]`).getByTestId('history-open').click();
    await page.getByTestId('sim-table').waitFor(LONG);
    await expect(page.getByTestId('sim-stored').textContent()).resolves.toContain(simId);
    await app.screenshot(page, 'walkthrough-6-reopen-simulation');
    await page.evaluate(() => (location.hash = '#/history'));
    await page.locator(`[data-testid="history-list"] tr[data-kind="run"][data-id="${runId}"]`).getByTestId('history-open').click();
    const stored = page.getByTestId('live-stored').getByTestId('live-report');
    await stored.waitFor(LONG);
    await expect(stored.textContent()).resolves.toContain(runId);
    await app.screenshot(page, 'walkthrough-7-reopen-live');
    expect(pageErrors(errors)).toEqual([]);
  }, 240_000);
});
