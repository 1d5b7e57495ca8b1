// Builds everything the app runs: Node bundles (CLI, engine host, workers, Electron main and
// preload) with esbuild, and the renderer with Vite. Skips work that is already up to date.
import { build } from 'esbuild';
import { readFileSync, readdirSync, statSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, basename, dirname } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), 'electron'];
const sourceDirs = ['common', 'base', 'cli', 'engine', 'server', 'profiler', 'scheduler', 'workloads', 'electron', 'renderer'];
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const sources = sourceDirs.flatMap((d) => walk(join(root, d)));
const newestSource = Math.max(
  ...sources.map((f) => statSync(f).mtimeMs),
  statSync(join(root, 'package.json')).mtimeMs,
  statSync(join(root, 'scripts', 'build.mjs')).mtimeMs,
);
const stampFile = join(root, 'dist', '.build-stamp');
if (!force && existsSync(stampFile) && Number(readFileSync(stampFile, 'utf8')) >= newestSource) {
  if (!quiet) console.error('[build] up to date');
  process.exit(0);
}

// Every `*.worker.ts` becomes dist/workers/<name>.cjs (see base/paths.ts: workerScript()).
const workers = sources.filter((f) => f.endsWith('.worker.ts'));
const nodeEntries = {
  cli: join(root, 'cli/main.ts'),
  // The embeddable runtime, package.json exports "./runtime" (its types: below).
  runtime: join(root, 'scheduler/embed/index.ts'),
  'engine-host': join(root, 'engine/host.ts'),
  ...Object.fromEntries(workers.map((f) => [`workers/${basename(f, '.ts')}`, f])),
};
const t0 = Date.now();
await build({
  entryPoints: nodeEntries,
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  external,
  logLevel: 'warning',
});
if (existsSync(join(root, 'electron/main.ts'))) {
  await build({
    entryPoints: { main: join(root, 'electron/main.ts'), preload: join(root, 'electron/preload.ts') },
    outdir: join(root, 'dist/electron'),
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    external,
    logLevel: 'warning',
  });
}
// The runtime entry's declarations (type-checks what it reaches: slow) run beside the renderer's build.
const types = runtimeTypes();
const { build: viteBuild } = await import('vite');
await viteBuild({ configFile: join(root, 'vite.config.mjs'), logLevel: quiet ? 'error' : 'warn' });
await types;
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(stampFile, String(newestSource));
/** Declarations of the runtime entry under dist/types/ (package.json exports "./runtime".types), in a child process. */
function runtimeTypes() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts/runtime-types.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`[build] runtime types failed (exit ${code})`))));
  });
}
if (!quiet) console.error(`[build] done in ${Date.now() - t0} ms (${relative(root, join(root, 'dist'))}/)`);
