import { defineConfig } from 'vite';

// The renderer is plain TypeScript + DOM (no UI framework); the same build is loaded by
// Electron (file://) and served by browser mode, so asset paths are relative.
export default defineConfig({
  root: 'renderer',
  base: './',
  build: { outDir: '../dist/renderer', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1000 },
  logLevel: 'warn',
});
