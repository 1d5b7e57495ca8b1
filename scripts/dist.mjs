// `npm run dist [-- --linux|--win|--mac]`: builds installers with electron-builder from the
// "build" section of package.json (AppImage + deb, NSIS, dmg). onnxruntime-node's native binaries
// are unpacked from the asar, and each installer keeps only its own platform's and arch's ORT
// binaries (see test/packaging.test.ts). The icons are rendered from assets/icon.svg first
// (scripts/icons.mjs); the fuses are flipped after packing (scripts/after-pack.cjs). Packaging
// needs Electron's release zip, which electron-builder downloads (or takes from ELECTRON_MIRROR /
// its cache): not possible offline.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIcons } from './icons.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
generateIcons();
const args = process.argv.slice(2);
const r = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-builder', 'cli.js'), '--publish', 'never', ...args], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
