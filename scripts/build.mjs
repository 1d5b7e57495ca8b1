// Builds everything the app runs: Node bundles (CLI, engine host, workers, Electron main and
// preload) with esbuild, and the renderer with Vite. Skips work that is already up to date.
import { build } from 'esbuild';
import { readFileSync, readdirSync, statSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, basename, dirname } from 'node:path';
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
await runtimeTypes();
const { build: viteBuild } = await import('vite');
await viteBuild({ configFile: join(root, 'vite.config.mjs'), logLevel: quiet ? 'error' : 'warn' });
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(stampFile, String(newestSource));
/** Declarations of the runtime entry (and what its types reach) under dist/types/, for package.json exports "./runtime".types. */
async function runtimeTypes() {
  const ts = (await import('typescript')).default;
  const program = ts.createProgram([join(root, 'scheduler/embed/index.ts')], {
    declaration: true,
    emitDeclarationOnly: true,
    outDir: join(root, 'dist/types'),
    rootDir: root,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    resolveJsonModule: true,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const r = program.emit();
  const errors = r.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(`[build] runtime types: ${ts.formatDiagnosticsWithColorAndContext(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' })}`);
}
if (!quiet) console.error(`[build] done in ${Date.now() - t0} ms (${relative(root, join(root, 'dist'))}/)`);
