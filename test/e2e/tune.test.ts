// End to end: the Tune view tunes a small scenario (two tiny CNN files; the tuner's latency table from
// hand-written profiles, test/support/fake-profile.ts), shows the best-so-far chart, the candidates
// table, the Pareto scatter and the validation card, downloads the schedule, and a long tune is
// cancelled. The Export view lists the stored schedule, opens the downloaded file, and replays one
// live (tiny models, two seconds) with expected vs measured per tenant and a verdict, and downloads
// one as an archive bundle. Screenshots of
// both views are looked at; axe finds no serious or critical violation on them.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { saveProfile } from '../../profiler/store';
import { readArchiveMembers } from '../../scheduler/schedule/archive';
import { readSchedule } from '../../scheduler/schedule/file';
import { chromiumAvailable } from '../support/browser';
import { startApp, type TestApp } from '../support/app';
import { fakeProfile } from '../support/fake-profile';
import { tinyCnn } from '../support/tiny-model';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const pageErrors = (errors: string[]) => errors.filter((e) => !/status of 404/.test(e));

async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const r = await page.evaluate(async () => (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run());
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

describe.runIf(chromiumAvailable())('Tune and Export views (tuned schedules)', () => {
  let app: TestApp;
  let downloadedFile = '';

  beforeAll(async () => {
    app = await startApp('tune');
    const models = { a: tinyCnn({ channels: 4, size: 16, name: 'tiny_a' }), b: tinyCnn({ channels: 8, size: 16, name: 'tiny_b' }) };
    for (const [k, bytes] of Object.entries(models)) {
      writeFileSync(join(app.home, `${k}.onnx`), bytes);
      const p = fakeProfile(`p-${k}`, `tiny_${k}`, ['cpu:1', 'cpu:2'], k === 'a' ? [[4, 2.5], [3, 2]] : [[6, 3.5], [5, 3]]);
      p.model.sha256 = createHash('sha256').update(bytes).digest('hex');
      saveProfile(p);
    }
    const file = join(app.home, 'two_tiny.json');
    writeFileSync(file, JSON.stringify({
      schemaVersion: 1,
      name: 'two tiny',
      tenants: [
        { id: 'a', model: { kind: 'file', path: join(app.home, 'a.onnx') }, arrival: { type: 'periodic', fps: 60 }, priority: 9 },
        { id: 'b', model: { kind: 'file', path: join(app.home, 'b.onnx') }, arrival: { type: 'periodic', fps: 40 } },
      ],
    }));
    await promisify(execFile)(process.execPath, [join(__dirname, '..', '..', 'bin', 'tessera.cjs'), 'scenario', 'import', file, '--id', 'two_tiny'], { env: { ...process.env, TESSERA_HOME: app.home } });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it('tunes a scenario: best-so-far chart, candidates, Pareto scatter, export; a long tune is cancelled', async () => {
    const { page, errors } = await app.open('tune');
    const scenario = page.getByTestId('tune-scenario');
    await scenario.locator('option[value="user/two_tiny"]').waitFor({ state: 'attached', timeout: 60_000 });
    await scenario.selectOption('user/two_tiny');
    await page.getByTestId('tune-budgetSec').fill('');
    await page.getByTestId('tune-candidates').fill('12');
    // A short live validation: the rows say what each live run applied of its schedule (pins, late drop, variants).
    await page.getByTestId('tune-validateSec').fill('1');
    await page.getByTestId('tune-start').click();
    await page.getByTestId('tune-candidates-table').locator('tbody tr').first().waitFor({ timeout: 120_000 });
    const rows = page.getByTestId('tune-candidates-table').locator('tbody tr');
    expect(await rows.count()).toBeGreaterThan(3);
    await expect(page.getByTestId('tune-candidates-table').textContent()).resolves.toMatch(/untuned.*tuned.*best/s);
    await expect(page.getByTestId('tune-progress-message').textContent()).resolves.toMatch(/^done: 12 candidates/);
    // The improvement with its CI paired seed by seed (both candidates on the same frames and speed drift).
    await expect(page.getByTestId('tune-improvement').textContent()).resolves.toMatch(/Objective uxcost: (-?[\d.]+% better \[95% CI -?[\d.]+% to -?[\d.]+%, paired seed by seed\] than the best untuned policy|–)/);
    await expect(page.getByTestId('tune-stored').textContent()).resolves.toMatch(/Stored as .*two_tiny.*-tune-/);
    // The form's speed drift is blank (auto): these hand-written profiles carry no drift checks, so the default is used, and the result says so.
    await expect(page.getByTestId('tune-speed-drift').textContent()).resolves.toMatch(/^Speed drift: sd 0\.1 \(default\): the profiles have 0 whole-model drift check/);
    expect(await page.getByTestId('tune-pareto').locator('canvas').count()).toBe(1);
    expect(await page.getByTestId('tune-progress-chart').locator('canvas').count()).toBe(1);
    const vrows = page.getByTestId('tune-validation-table').locator('tbody tr');
    await vrows.first().waitFor({ timeout: 120_000 });
    const vtexts = await vrows.allTextContents();
    expect(vtexts[0]).toMatch(/^untuned/);
    expect(vtexts.slice(1).every((t) => /^tuned #\d/.test(t))).toBe(true);
    // Every row names its policy; a row whose schedule pins, drops late or fixes variants says it was applied live.
    for (const t of vtexts) expect(t).not.toMatch(/the runtime cannot apply them yet/);
    await app.screenshot(page, 'tune-result');
    expect(await seriousViolations(page)).toEqual([]);

    const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByTestId('tune-export').click()]);
    downloadedFile = join(app.home, 'downloaded-schedule.json');
    await d.saveAs(downloadedFile);
    const s = JSON.parse(readFileSync(downloadedFile, 'utf8'));
    expect(s.kind).toBe('tessera-schedule');
    expect(s.models.map((m: { tenant: string }) => m.tenant)).toEqual(['a', 'b']);
    // The exported schedule is tuned #1: its validation row names the levers the live run applied.
    if (s.pins?.some((p: string | null) => p !== null)) expect(vtexts[1]).toMatch(/applied live: .*pins/);
    if (s.options.dropLate) expect(vtexts[1]).toMatch(/applied live: .*late drop/);
    if (!s.options.dropLate && !s.pins?.some((p: string | null) => p !== null)) expect(vtexts[1]).not.toMatch(/applied live/);

    // A tune that would run long: cancelled from its progress card.
    await page.getByTestId('tune-candidates').fill('100000');
    await page.getByTestId('tune-start').click();
    await page.getByTestId('tune-cancel').click({ timeout: 30_000 });
    await page.getByTestId('tune-cancelled').waitFor({ timeout: 60_000 });
    await app.screenshot(page, 'tune-cancelled');
    expect(pageErrors(errors)).toEqual([]);
  }, 240_000);

  it('Export lists the stored schedule, opens a schedule file, and replays one live with a verdict per tenant', async () => {
    const { page, errors } = await app.open('export');
    const rows = page.getByTestId('export-schedules-table').locator('tbody tr');
    await rows.first().waitFor({ timeout: 60_000 });
    expect(await rows.count()).toBe(1);
    await page.getByTestId('export-schedule-file').setInputFiles(downloadedFile);
    await page.getByTestId('export-schedule-opened').waitFor({ timeout: 30_000 });
    expect(await rows.count()).toBe(2);
    await expect(page.getByTestId('export-schedules-table').textContent()).resolves.toMatch(/opened here.*from a tune run/s);
    await page.getByTestId('export-schedule-replay').first().click();
    await page.getByTestId('export-replay-duration').fill('2');
    await page.getByTestId('export-replay-p99').fill('off');
    await page.getByTestId('export-replay-miss').fill('100');
    await page.getByTestId('export-replay-run').click();
    await page.getByTestId('export-replay-table').waitFor({ timeout: 120_000 });
    const tenants = page.getByTestId('export-replay-table').locator('tbody tr');
    expect(await tenants.count()).toBe(2);
    await expect(page.getByTestId('export-replay-verdict').textContent()).resolves.toMatch(/^PASS/);
    await expect(page.getByTestId('export-replay-differences').textContent()).resolves.toMatch(/Differs from where it was tuned: machine|Same machine/);
    await app.screenshot(page, 'export-schedules-replay');
    // "Download bundle": the schedule with its model files as one archive, read from the engine in chunks.
    const [bundle] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-schedule-bundle').first().click()]);
    const bundleFile = join(app.home, 'downloaded-bundle.tgz');
    await bundle.saveAs(bundleFile);
    expect(bundle.suggestedFilename()).toMatch(/^schedule-.*\.tgz$/);
    const members = readArchiveMembers(bundleFile);
    expect([...members.keys()].filter((k) => k.endsWith('.onnx'))).toHaveLength(2);
    expect(readSchedule(bundleFile).kind).toBe('tessera-schedule');
    await expect(page.getByTestId('export-bundle-done').textContent()).resolves.toMatch(/Saved schedule-.*\.tgz .*3 files/);
    await app.screenshot(page, 'export-schedule-bundle');
    expect(await seriousViolations(page)).toEqual([]);
    expect(pageErrors(errors)).toEqual([]);
  }, 240_000);
});
