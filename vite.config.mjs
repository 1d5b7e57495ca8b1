import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The renderer is plain TypeScript + DOM (no UI framework); the same build is loaded by
// Electron (file://) and served by browser mode, so asset paths are relative. Paths are absolute:
// `tessera` run from another folder rebuilds through this config (a relative root resolved against
// that folder: "Cannot resolve entry module renderer/index.html").
const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: join(here, 'renderer'),
  base: './',
  build: { outDir: join(here, 'dist', 'renderer'), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1000 },
  logLevel: 'warn',
});
