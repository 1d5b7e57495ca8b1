// Makes sure Electron's binary is present. `npm install` never downloads it here (.npmrc sets
// ignore-scripts so offline installs succeed); the first `npm start` on a machine with internet
// runs Electron's own installer, which honours ELECTRON_MIRROR, ELECTRON_CUSTOM_DIR and the
// @electron/get cache. Exits 0 when the binary is usable, 1 (with the reason on stderr) when not.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export function electronBinary() {
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { ok: false, reason: 'the electron package is not installed (run `npm install`)' };
  }
  const pathFile = join(pkgDir, 'path.txt');
  if (existsSync(pathFile)) {
    const bin = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    if (existsSync(bin)) return { ok: true, path: bin, pkgDir };
  }
  return { ok: false, reason: "Electron's binary is not downloaded yet", pkgDir };
}

export function ensureElectron({ timeoutMs = 180_000, log = (s) => process.stderr.write(s) } = {}) {
  const found = electronBinary();
  if (found.ok || !found.pkgDir) return found;
  log(`[start] ${found.reason}: fetching it (ELECTRON_MIRROR=${process.env.ELECTRON_MIRROR ?? 'default'})...\n`);
  const r = spawnSync(process.execPath, [join(found.pkgDir, 'install.js')], {
    stdio: ['ignore', 'inherit', 'pipe'],
    timeout: timeoutMs,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
  });
  const after = electronBinary();
  if (after.ok) return after;
  const why = r.error ? r.error.message : (r.stderr?.toString().trim().split('\n').slice(-3).join(' ') || `installer exit code ${r.status}`);
  return { ok: false, reason: `could not fetch Electron's binary: ${why}` };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = ensureElectron();
  process.stderr.write(r.ok ? `Electron binary: ${r.path}\n` : `${r.reason}\n`);
  process.exit(r.ok ? 0 : 1);
}
