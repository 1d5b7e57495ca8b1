// End to end: groups of k layers in the app. Simulate runs a synthetic workload with preemption
// "every 4 layers" (the engine's granularity group:4) and says so in the result; its timeline holds
// group slices. The Live form offers groups of 2 and 4 layers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable } from '../support/browser';
import { startApp, type TestApp } from '../support/app';

describe.runIf(chromiumAvailable())('groups of k layers in the app', () => {
  let app: TestApp;
  let page: Page;

  beforeAll(async () => {
    app = await startApp('groups');
    ({ page } = await app.open('simulate'));
    await page.getByTestId('sim-scenario').waitFor({ timeout: 60_000 });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('Simulate with preemption every 4 layers runs at granularity group:4', async () => {
    await page.getByTestId('sim-scenario').selectOption('synthetic:vr_gaming');
    await page.getByRole('button', { name: 'None', exact: true }).click();
    for (const n of ['fcfs', 'edf']) await page.locator(`input[data-policy="${n}"]`).check();
    await page.getByTestId('sim-seeds').fill('1');
    await page.getByTestId('sim-durationSec').fill('1');
    const options = await page.getByTestId('sim-preemption').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(['layer', 'group:2', 'group:4', 'model']);
    await page.getByTestId('sim-preemption').selectOption('group:4');
    await page.getByTestId('sim-run-button').click();
    const table = page.getByTestId('sim-table');
    await table.waitFor({ timeout: 120_000 });
    expect(await table.locator('tbody tr').count()).toBe(2);
    await expect(page.locator('body').textContent()).resolves.toMatch(/granularity group:4/);
    await app.screenshot(page, 'simulate-groups');
  });

  it('the Live form offers groups of 2 and 4 layers', async () => {
    await page.goto(page.url().replace(/#.*$/, '#/live'));
    const g = page.getByTestId('live-granularity');
    await g.waitFor({ timeout: 60_000 });
    const options = await g.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(['model', 'layer', 'group:2', 'group:4']);
    await g.selectOption('group:2');
    await expect(g.inputValue()).resolves.toBe('group:2');
  });
});
