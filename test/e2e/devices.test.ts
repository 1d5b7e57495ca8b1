// End to end: browser mode serves the built renderer; Debian's Chromium loads it and the Devices
// view lists the CPU as an available accelerator (probed by the engine in its own process).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { forkEngine } from '../../engine/fork';
import type { RemoteEngine } from '../../engine/remote';
import { findSoftwareVulkanDriver } from '../../profiler/gpu/environment';
import { startServer, type RunningServer } from '../../server/server';
import { chromiumAvailable, CHROMIUM, launchChromium, SCREENSHOTS } from '../support/browser';

describe.runIf(chromiumAvailable())(`browser mode in Chromium (${CHROMIUM})`, () => {
  let engine: RemoteEngine;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    engine = forkEngine();
    server = await startServer({ engine, port: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    engine?.stop();
  });

  it('loads the app and the Devices view lists the CPU as available', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.openUrl);
    const table = page.getByTestId('accelerators');
    await table.waitFor({ timeout: 60_000 });
    const cpuRow = table.locator('tr', { hasText: 'cpu' }).first();
    await expect(cpuRow.textContent()).resolves.toMatch(/available/);
    const webgpuRow = table.locator('tr', { hasText: 'webgpu' });
    expect(await webgpuRow.count()).toBe(1);
    await expect(page.getByTestId('hardware').textContent()).resolves.toMatch(/GiB/);
    await page.screenshot({ path: join(SCREENSHOTS, 'devices.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it.runIf(!('error' in findSoftwareVulkanDriver()))('probes the software GPU on request and labels its adapter SOFTWARE', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.openUrl);
    const table = page.getByTestId('accelerators');
    await table.waitFor({ timeout: 60_000 });
    expect(await table.locator('tr', { hasText: 'webgpu:sw' }).count()).toBe(0);
    await page.getByTestId('software-gpu').check();
    const sw = table.locator('tr', { hasText: 'webgpu:sw' });
    await sw.waitFor({ timeout: 60_000 });
    await expect(sw.textContent()).resolves.toMatch(/available.*SOFTWARE.*SwiftShader/s);
    await page.screenshot({ path: join(SCREENSHOTS, 'devices-software-gpu.png'), fullPage: true });
  });

  it('keeps the window up when the engine process dies, and restarts it', async () => {
    const page = await browser.newPage();
    await page.goto(server.openUrl);
    await page.getByTestId('accelerators').waitFor({ timeout: 60_000 });
    const pid: number = await page.evaluate(() => new Promise((resolve) => {
      const ws = new WebSocket(`ws://${location.host}/api`);
      ws.onopen = () => ws.send(JSON.stringify({ type: 'call', id: 1, method: 'engine.info', params: {} }));
      ws.onmessage = (m) => { const r = JSON.parse(m.data); if (r.id === 1) resolve(r.result.pid); };
    }));
    process.kill(pid, 'SIGKILL');
    await page.getByTestId('connection').filter({ hasText: 'disconnected' }).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await page.getByTestId('connection').filter({ hasText: 'engine connected' }).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Probe again' }).click();
    await page.getByTestId('accelerators').waitFor({ timeout: 60_000 });
  });
});
