// End to end: the History view lists stored profiles, simulations and live runs together, filters
// them, reopens each kind in its own view, and compares two side by side (a simulation against a live
// run, two live runs, two profiles); axe on the view with a comparison shown, light and dark.
// Data: two short profiles of one small model, two synthetic simulations and two 1 s live runs, made
// through the CLI into the test engine's private TESSERA_HOME.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axe, describeViolations } from '../support/axe';
import { chromiumAvailable } from '../support/browser';
import { startApp, type TestApp } from '../support/app';

const pageErrors = (errors: string[]) => errors.filter((e) => !/status of 404/.test(e));

describe.runIf(chromiumAvailable())('History view', () => {
  let app: TestApp;
  const ids = { profiles: [] as string[], sims: [] as string[], runs: [] as string[] };

  beforeAll(async () => {
    app = await startApp('history');
    const tessera = async (...args: string[]) => JSON.parse((await promisify(execFile)(process.execPath, [join(__dirname, '..', '..', 'bin', 'tessera.cjs'), ...args, '--json'], { env: { ...process.env, TESSERA_HOME: app.home }, maxBuffer: 64 << 20 })).stdout);
    for (let i = 0; i < 2; i++) ids.profiles.push((await tessera('profile', 'xrbench/KD_res8_narrow', '--lanes', 'cpu:1', '--budget', '1s', '--energy', 'off')).id);
    ids.sims.push((await tessera('simulate', 'synthetic:vr_gaming', '--policies', 'fcfs,edf,dream', '--seeds', '1', '--duration', '1s')).savedId);
    ids.sims.push((await tessera('simulate', 'synthetic:vr_gaming', '--policies', 'edf,dream', '--seeds', '1', '--duration', '1s', '--load', '1.2')).savedId);
    ids.runs.push((await tessera('run', 'demo:tiny', '--policy', 'edf', '--duration', '1s', '--lanes', 'cpu:1')).runId);
    ids.runs.push((await tessera('run', 'demo:tiny', '--policy', 'fcfs', '--duration', '1s', '--lanes', 'cpu:1')).runId);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
  });

  const row = (page: Page, kind: string, id: string) => page.locator(`[data-testid="history-list"] tr[data-kind="${kind}"][data-id="${id}"]`);

  it('lists everything, filters, compares a simulation with a run, two runs and two profiles', async () => {
    const { page, errors } = await app.open('history');
    const rows = page.locator('[data-testid="history-list"] tbody tr');
    await rows.first().waitFor({ timeout: 60_000 });
    expect(await rows.count()).toBe(6);
    // Newest first: the last live run heads the list.
    expect(await rows.first().getAttribute('data-id')).toBe(ids.runs[1]);
    await expect(row(page, 'profile', ids.profiles[0]).textContent()).resolves.toMatch(/whole model [\d.]+ ms on cpu:1/);
    await expect(row(page, 'simulation', ids.sims[1]).textContent()).resolves.toMatch(/miss [\d.]+% \(best: \w+; 1 seeds, load 1\.2, SYNTHETIC latencies\)/);
    await app.screenshot(page, 'history-list');

    await page.getByTestId('history-kind').selectOption('run');
    expect(await rows.count()).toBe(2);
    await page.getByTestId('history-kind').selectOption('all');
    await page.getByTestId('history-search').fill('vr_gaming');
    expect(await rows.count()).toBe(2);
    await page.getByTestId('history-search').fill('');

    // A profile and a run cannot be compared: said before asking the engine.
    await row(page, 'profile', ids.profiles[0]).getByTestId('history-pick').check();
    await row(page, 'run', ids.runs[0]).getByTestId('history-pick').check();
    await expect(page.getByTestId('history-pick-note').textContent()).resolves.toMatch(/A profile compares only with another profile/);
    expect(await page.getByTestId('history-compare-button').isDisabled()).toBe(true);

    // Simulation (A) against the edf run (B): a third pick replaces the first.
    await row(page, 'simulation', ids.sims[0]).getByTestId('history-pick').check();
    expect(await page.locator('[data-testid="history-pick"]:checked').count()).toBe(2);
    await page.getByTestId('history-compare-button').click();
    const table = page.getByTestId('history-diff-table');
    await table.waitFor({ timeout: 30_000 });
    // A is the run (picked first), B the simulation: the simulation side takes the run's policy.
    await expect(page.getByTestId('history-results').textContent()).resolves.toMatch(/A.*live run.*edf.*B.*simulation.*edf/s);
    await expect(page.getByTestId('history-warnings').textContent()).resolves.toMatch(/different scenarios/);
    await expect(table.textContent()).resolves.toMatch(/whole run.*miss rate.*p99 latency.*energy/s);
    await app.screenshot(page, 'history-compare-sim-run');

    // Two runs: per tenant, measured.
    await row(page, 'simulation', ids.sims[0]).getByTestId('history-pick').uncheck();
    await row(page, 'run', ids.runs[1]).getByTestId('history-pick').check();
    await page.getByTestId('history-compare-button').click();
    await page.getByTestId('history-diff-table').waitFor({ timeout: 30_000 });
    const text = (await page.getByTestId('history-diff-table').textContent())!;
    for (const t of ['detector', 'classifier', 'tracker']) expect(text).toContain(t);
    await expect(page.getByTestId('history-warnings').textContent()).resolves.toMatch(/different policies \(edf vs fcfs\)/);
    await app.screenshot(page, 'history-compare-runs');

    // Two profiles: the profile page's per-layer comparison.
    for (const id of ids.runs) await row(page, 'run', id).getByTestId('history-pick').uncheck();
    for (const id of ids.profiles) await row(page, 'profile', id).getByTestId('history-pick').check();
    await page.getByTestId('history-compare-button').click();
    await page.getByTestId('history-compare').locator('table.prof-diff').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('history-compare').textContent()).resolves.toMatch(/Same model/);
    await app.screenshot(page, 'history-compare-profiles');

    // Two simulations: a policy picker per side and every common policy.
    for (const id of ids.profiles) await row(page, 'profile', id).getByTestId('history-pick').uncheck();
    for (const id of ids.sims) await row(page, 'simulation', id).getByTestId('history-pick').check();
    await page.getByTestId('history-compare-button').click();
    await page.getByTestId('history-by-policy').waitFor({ timeout: 30_000 });
    await page.getByTestId('history-policy-a').selectOption('fcfs');
    await page.getByTestId('history-results').getByText(/different policies \(fcfs vs \w+\)/).waitFor({ timeout: 30_000 });
    await app.screenshot(page, 'history-compare-sims');
    expect(pageErrors(errors)).toEqual([]);
  }, 120_000);

  it('reopens a simulation, a live run and a profile in their own views', async () => {
    const { page, errors } = await app.open('history');
    await row(page, 'simulation', ids.sims[1]).waitFor({ timeout: 60_000 });
    await row(page, 'simulation', ids.sims[1]).getByTestId('history-open').click();
    await page.getByTestId('sim-table').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('sim-stored').textContent()).resolves.toContain(ids.sims[1]);
    await expect(page.getByTestId('sim-head').textContent()).resolves.toMatch(/load 1\.2/);
    await app.screenshot(page, 'history-reopen-simulation');
    // After a reload the URL still names it.
    await page.reload();
    await expect(page.getByTestId('sim-stored').textContent({ timeout: 30_000 })).resolves.toContain(ids.sims[1]);

    await page.goBack().catch(() => {});
    await page.evaluate(() => (location.hash = '#/history'));
    await row(page, 'run', ids.runs[0]).getByTestId('history-open').click();
    const report = page.getByTestId('live-stored').getByTestId('live-report');
    await report.waitFor({ timeout: 30_000 });
    await expect(report.textContent()).resolves.toContain(ids.runs[0]);
    await app.screenshot(page, 'history-reopen-run');

    await page.evaluate(() => (location.hash = '#/history'));
    await row(page, 'profile', ids.profiles[0]).getByTestId('history-open').click();
    await page.waitForFunction((id) => location.hash === `#/profiles/${encodeURIComponent(id)}`, ids.profiles[0]);

    await page.evaluate(() => (location.hash = '#/live/saved:nope'));
    await page.getByTestId('live-stored').getByText(/Could not reopen live run nope/).waitFor({ timeout: 30_000 });
    expect(pageErrors(errors)).toEqual([]);
  }, 120_000);

  for (const scheme of ['light', 'dark'] as const) {
    it(`axe: no serious or critical violation on History with a comparison (${scheme})`, async () => {
      const { page } = await app.open('history');
      await page.emulateMedia({ colorScheme: scheme });
      await row(page, 'run', ids.runs[0]).waitFor({ timeout: 60_000 });
      for (const id of ids.runs) await row(page, 'run', id).getByTestId('history-pick').check();
      await page.getByTestId('history-compare-button').click();
      await page.getByTestId('history-diff-table').waitFor({ timeout: 30_000 });
      await app.screenshot(page, `history-a11y-${scheme}`);
      expect(describeViolations(await axe(page))).toBe('');
    }, 60_000);
  }
});
