// `npm run bench -- <suite> [args]`: runs a benchmark suite (bench/<suite>.ts exports main(argv)).
// Suites are bundled with esbuild on the fly so they run the same TypeScript the app runs.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [suite, ...rest] = process.argv.slice(2);
const suites = existsSync(join(root, 'bench')) ? readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')) : [];
if (!suite || !suites.includes(suite)) {
  process.stderr.write(`Usage: npm run bench -- <suite> [--json] [options]\nSuites: ${suites.join(', ') || '(none)'}\n`);
  process.exit(suite ? 2 : 0);
}
// Workers used by the suites are built bundles (dist/workers).
const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
if (b.status !== 0) process.exit(b.status ?? 1);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outDir = join(root, 'dist', 'bench');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, `${suite}.cjs`);
await build({
  entryPoints: [join(root, 'bench', `${suite}.ts`)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: [...Object.keys(pkg.dependencies ?? {}), 'electron'],
  logLevel: 'warning',
});
const mod = await import(pathToFileURL(outfile).toString());
const main = mod.main ?? mod.default?.main;
const code = await main(rest);
process.exit(typeof code === 'number' ? code : 0);
