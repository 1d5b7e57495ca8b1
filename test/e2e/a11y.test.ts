// Accessibility end to end: axe-core (from npm, injected into the page as a script) on every view, in
// the light theme and in the dark theme (the system preference, emulated), with no serious or critical
// violation; plus keyboard access (the `?` shortcut overlay, view shortcuts, sortable headers by key).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/browser';
import { startApp, type TestApp } from '../support/app';
import { axe, describeViolations } from '../support/axe';

// Each view with what shows it has loaded (the engine's lists, lanes probed).
const VIEWS: [string, string][] = [
  ['devices', '[data-testid="accelerators"]'],
  ['profiles', '[data-testid="budget"]'],
  ['scenarios', '[data-testid="scenario-library"] table'],
  ['simulate', '[data-testid="sim-scenario"]'],
  ['live', '.view-header h1'],
  ['tune', '[data-testid="tune-form"]'],
  ['history', '[data-testid="history-list"] table'],
  ['export', '.view-header h1'],
];

describe.runIf(chromiumAvailable())('accessibility and keyboard access', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('a11y');
    // One small stored profile on two lanes, so the profile detail (heat map, layer table) is checked too.
    const cli = join(__dirname, '..', '..', 'bin', 'tessera.cjs');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'profile', 'xrbench/KD_res8_narrow', '--lanes', 'cpu:1,cpu:2', '--budget', '1s', '--energy', 'off', '--json'], { env: { ...process.env, TESSERA_HOME: app.home }, maxBuffer: 64 << 20 });
    VIEWS.push([`profiles/${encodeURIComponent(JSON.parse(stdout).id)}`, '[data-testid="heatmap"]']);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`axe finds no serious or critical violation on any view (${scheme})`, async () => {
      const { page, errors } = await app.open('devices');
      await page.emulateMedia({ colorScheme: scheme });
      const found: string[] = [];
      for (const [view, ready] of VIEWS) {
        await page.evaluate((v) => (location.hash = `#/${v}`), view);
        await page.locator(ready).first().waitFor({ timeout: 90_000 });
        await page.waitForTimeout(500);
        expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
        await app.screenshot(page, `a11y-${view.replace(/\/.*/, '-detail')}-${scheme}`);
        const vs = await axe(page);
        if (vs.length) found.push(`${view} (${scheme}):\n${describeViolations(vs)}`);
      }
      // A view with results: a short simulation (the comparison table, charts, timeline).
      await page.evaluate(() => (location.hash = '#/simulate'));
      await page.getByTestId('sim-scenario').waitFor({ timeout: 60_000 });
      await page.getByTestId('sim-seeds').fill('1');
      await page.getByTestId('sim-durationSec').fill('1');
      await page.getByTestId('sim-run-button').click();
      await page.getByTestId('sim-table').waitFor({ timeout: 120_000 });
      await app.screenshot(page, `a11y-simulate-results-${scheme}`);
      const vs = await axe(page);
      if (vs.length) found.push(`simulate results (${scheme}):\n${describeViolations(vs)}`);
      expect(found.join('\n\n')).toBe('');
      expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    }, 300_000);
  }

  it('axe finds no serious or critical violation on the running Live view and its report (light and dark)', async () => {
    const { page, errors } = await app.open('live');
    await page.getByTestId('live-start').waitFor({ timeout: 60_000 });
    await page.getByTestId('live-scenario').selectOption('demo:tiny');
    // Long enough to be surely running during the checks below; stopped after them.
    await page.getByTestId('live-duration').fill('60');
    await page.getByTestId('live-lanes').fill('cpu:1,cpu:1');
    await page.getByTestId('live-start').click();
    await page.waitForFunction(() => Number((document.querySelector('[data-testid="live-timeline-canvas"]') as HTMLElement | null)?.dataset.rects ?? 0) > 0, null, { timeout: 90_000 });
    // The new controls too: a chart shown as a table, a range selected on the lane view.
    await page.getByTestId('live-misses-table-toggle').click();
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForTimeout(300);
      const vs = await axe(page);
      if (vs.length) found.push(`live running (${scheme}):\n${describeViolations(vs)}`);
      await app.screenshot(page, `a11y-live-running-${scheme}`);
    }
    await expect(page.locator('.live-status [data-phase]').getAttribute('data-phase')).resolves.toMatch(/running|draining/);
    await page.getByTestId('live-stop').click();
    await page.getByTestId('live-report').waitFor({ timeout: 90_000 });
    const lane = page.getByTestId('live-timeline-canvas');
    await lane.scrollIntoViewIfNeeded();
    const box = (await lane.boundingBox())!;
    await page.mouse.move(box.x + 200, box.y + 30);
    await page.mouse.down();
    await page.mouse.move(box.x + 400, box.y + 30, { steps: 4 });
    await page.mouse.up();
    await page.getByTestId('live-timeline-canvas-range').filter({ hasText: 'Selected' }).waitFor({ timeout: 10_000 });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForTimeout(300);
      const vs = await axe(page);
      if (vs.length) found.push(`live report (${scheme}):\n${describeViolations(vs)}`);
      await app.screenshot(page, `a11y-live-report-${scheme}`);
    }
    expect(found.join('\n\n')).toBe('');
    expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
  }, 240_000);

  it('works by keyboard: ? overlay with shortcuts and glossary, view keys, theme key, sortable headers, term tooltips', async () => {
    const { page } = await app.open('devices');
    await page.getByTestId('accelerators').waitFor({ timeout: 60_000 });
    await page.keyboard.press('?');
    const overlay = page.getByTestId('help-overlay');
    await overlay.waitFor({ state: 'visible' });
    await expect(page.getByTestId('shortcuts').textContent()).resolves.toMatch(/Go to Simulate/);
    for (const t of ['lane', 'ANTT', 'STP', 'UXCost', 'XRBench score', 'CV', '% of peak', 'in-graph time', 'SLO windows']) {
      await expect(page.getByTestId('glossary').locator(`[data-term="${t}"]`).count()).resolves.toBe(1);
    }
    await app.screenshot(page, 'keyboard-help-overlay');
    await page.keyboard.press('Escape');
    await overlay.waitFor({ state: 'hidden' });
    await page.keyboard.press('4');
    await page.waitForFunction(() => location.hash === '#/simulate');
    const before = await page.evaluate(() => document.documentElement.dataset.theme);
    await page.keyboard.press('t'); // system -> light
    await page.keyboard.press('t'); // light -> dark
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await expect(page.getByTestId('theme-toggle').textContent()).resolves.toBe('Theme: dark');
    await page.reload();
    await page.getByTestId('sim-scenario').waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark'); // remembered
    await page.keyboard.press('t'); // dark -> system
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(before);

    // Sortable headers: Tab reaches them, Enter sorts, focus stays on the header.
    await page.getByTestId('sim-seeds').fill('1');
    await page.getByTestId('sim-durationSec').fill('1');
    await page.getByTestId('sim-run-button').click();
    const table = page.getByTestId('sim-table');
    await table.waitFor({ timeout: 120_000 });
    const th = table.locator('th[data-key="missRate"]');
    await th.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-key') === 'missRate');
    await expect(table.locator('th[data-key="missRate"]').textContent()).resolves.toMatch(/▲/);
    await page.keyboard.press(' ');
    await expect(table.locator('th[data-key="missRate"]').textContent()).resolves.toMatch(/▼/);
    // A glossary term in a header shows its definition on keyboard focus.
    const antt = table.locator('th[data-key="antt"] .term');
    await antt.focus();
    await expect(antt.getAttribute('data-tip')).resolves.toMatch(/normalised turnaround/);
    await app.screenshot(page, 'keyboard-term-tooltip');
  }, 240_000);
});
