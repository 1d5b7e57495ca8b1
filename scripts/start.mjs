// `npm start`: builds, then opens the desktop app where Electron can run, or serves the same UI to
// a browser (browser mode) on headless machines, where Electron's binary cannot be fetched, or
// with --browser / TESSERA_BROWSER=1. Extra args go to `tessera serve` (e.g. -- --port 8080).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureElectron } from './ensure-electron.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const forceBrowser = args.includes('--browser') || process.env.TESSERA_BROWSER === '1';
const serveArgs = args.filter((a) => a !== '--browser');

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

function browserMode(why) {
  process.stderr.write(`[start] browser mode: ${why}\n`);
  const child = spawn(process.execPath, [join(root, 'dist', 'cli.cjs'), 'serve', ...serveArgs], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
}

const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (forceBrowser) browserMode('asked for (--browser / TESSERA_BROWSER=1)');
else if (headless) browserMode('no display (DISPLAY/WAYLAND_DISPLAY unset): open the URL below from a browser');
else {
  const electron = ensureElectron();
  if (!electron.ok) browserMode(`${electron.reason}; the desktop window needs it`);
  else {
    const child = spawn(electron.path, [root], { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 0));
  }
}
