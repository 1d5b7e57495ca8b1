// Electron's security checklist without Electron's binary: Electronegativity (Doyensec's Electron
// security linter) over the main process, the preload and the page's CSP, with every finding fixed
// or justified in place (an `eng-disable` comment on the line, with the reason beside it); and the
// pure handlers of the app:// protocol and the external-link allow-list.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_INDEX_URL, appFileFor, externalUrlAllowed, isAppUrl } from '../electron/app-protocol';

const root = join(__dirname, '..');

describe('Electronegativity', () => {
  it('finds nothing unjustified in electron/ and the page CSP', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-eneg-'));
    try {
      mkdirSync(join(dir, 'electron'));
      for (const f of readdirSync(join(root, 'electron'))) copyFileSync(join(root, 'electron', f), join(dir, 'electron', f));
      copyFileSync(join(root, 'renderer', 'index.html'), join(dir, 'index.html'));
      const electronVersion = (JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
      const csv = join(dir, 'findings.csv');
      const r = spawnSync(process.execPath, [join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js'), '-i', dir, '-e', electronVersion, '-o', csv, '-r'], { encoding: 'utf8', timeout: 90_000 });
      expect(r.status, r.stderr).toBe(0);
      const findings = readFileSync(csv, 'utf8').trim().split('\n').slice(1);
      expect(findings).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('app:// protocol and external links', () => {
  const rendererDir = '/opt/tessera/dist/renderer';

  it('maps app://tessera/ paths into the renderer folder only', () => {
    expect(appFileFor(APP_INDEX_URL, rendererDir)).toBe(`${rendererDir}/index.html`);
    expect(appFileFor('app://tessera/', rendererDir)).toBe(`${rendererDir}/index.html`);
    expect(appFileFor('app://tessera/assets/index-1.js?x#y', rendererDir)).toBe(`${rendererDir}/assets/index-1.js`);
    expect(appFileFor('app://tessera/..%2f..%2fpackage.json', rendererDir)).toBeNull();
    expect(appFileFor('app://tessera/%', rendererDir)).toBeNull();
    expect(appFileFor('app://tessera/a%00b', rendererDir)).toBeNull();
    expect(appFileFor('app://other/index.html', rendererDir)).toBeNull();
    expect(appFileFor('file:///etc/passwd', rendererDir)).toBeNull();
  });

  it('knows its own origin', () => {
    expect(isAppUrl('app://tessera/index.html#/live')).toBe(true);
    expect(isAppUrl('app://evil/index.html')).toBe(false);
    expect(isAppUrl('app://u:p@tessera/')).toBe(false);
    expect(isAppUrl('file:///opt/tessera/dist/renderer/index.html')).toBe(false);
    expect(isAppUrl('https://tessera/')).toBe(false);
    expect(isAppUrl(undefined)).toBe(false);
  });

  it('opens only https links to the allow-list', () => {
    expect(externalUrlAllowed('https://ui.perfetto.dev')).toBe(true);
    expect(externalUrlAllowed('https://ui.perfetto.dev/#!/viewer')).toBe(true);
    for (const bad of ['http://ui.perfetto.dev', 'https://evil.example', 'https://ui.perfetto.dev.evil.example', 'https://user@ui.perfetto.dev', 'https://ui.perfetto.dev:8443', 'file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'not a url']) {
      expect(externalUrlAllowed(bad), bad).toBe(false);
    }
  });
});
