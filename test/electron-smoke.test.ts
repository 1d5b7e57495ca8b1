// Starts the real desktop app where an Electron binary and a display exist; reported as skipped,
// with the reason, where not (as on CI: Electron's binary cannot be downloaded there).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

function electronBinary(): { path?: string; reason?: string } {
  const pkgDir = dirname(require.resolve('electron/package.json'));
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return { reason: "Electron's binary is not downloaded (npm start fetches it where the network allows)" };
  const bin = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(bin)) return { reason: `Electron binary ${bin} is missing` };
  const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
  if (headless) return { reason: 'no display (set DISPLAY, e.g. run under xvfb-run)' };
  return { path: bin };
}

const electron = electronBinary();

describe('Electron desktop app', () => {
  it.skipIf(!electron.path)(`opens the window, starts the engine in a utilityProcess and shows the devices${electron.reason ? ` [skipped: ${electron.reason}]` : ''}`, () => {
    const r = spawnSync(electron.path!, [root], { env: { ...process.env, TESSERA_SMOKE: '1' }, encoding: 'utf8', timeout: 90_000 });
    expect(r.stdout).toMatch(/smoke: ok/);
    expect(r.status).toBe(0);
  });
});
