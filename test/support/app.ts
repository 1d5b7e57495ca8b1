// The whole app for an end-to-end test: the engine in its own process (with a private TESSERA_HOME
// so stored profiles and runs stay out of the user's), browser mode's server, and Chromium.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { forkEngine } from '../../engine/fork';
import type { RemoteEngine } from '../../engine/remote';
import { startServer, type RunningServer } from '../../server/server';
import { launchChromium, SCREENSHOTS } from './browser';

export interface TestApp {
  engine: RemoteEngine;
  server: RunningServer;
  browser: Browser;
  /** The engine's data directory (profiles, models, runs). */
  home: string;
  /** Opens the app at a view (e.g. "profiles" or "simulate/xrbench%2Fvr_gaming"); page errors are collected in `errors`. */
  open(route: string, viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startApp(label: string): Promise<TestApp> {
  const home = mkdtempSync(join(tmpdir(), `tessera-e2e-${label}-`));
  process.env.TESSERA_HOME = home; // the forked engine inherits it
  const engine = forkEngine();
  const server = await startServer({ engine, port: 0 });
  const browser = await launchChromium();
  return {
    engine,
    server,
    browser,
    home,
    async open(route, viewport = { width: 1400, height: 900 }) {
      const page = await browser.newPage({ viewport });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
      const url = new URL(server.openUrl);
      url.hash = `#/${route}`;
      await page.goto(url.toString());
      return { page, errors };
    },
    async screenshot(page, name) {
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await browser.close().catch(() => {});
      await server.close().catch(() => {});
      engine.stop();
    },
  };
}
