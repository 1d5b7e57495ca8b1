// Where things live on disk: the project root (source checkout or packaged app), the built
// bundles, and the user's data directory (profiles, scenarios, traces).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

let cachedRoot: string | undefined;

/** The folder holding package.json: the checkout, or the app folder inside a packaged build. */
export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (cachedRoot = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`Cannot find Tessera's package.json above ${__dirname}`);
    dir = up;
  }
}

export function distDir(): string {
  return join(projectRoot(), 'dist');
}

/** The built bundle of a `*.worker.ts` file (scripts/build.mjs writes dist/workers/<name>.worker.cjs). */
export function workerScript(name: string): string {
  const file = join(distDir(), 'workers', `${name}.worker.cjs`);
  if (!existsSync(file)) throw new Error(`Worker bundle ${file} is missing: run \`npm run build\` first.`);
  return file;
}

/** User data: TESSERA_HOME, else ~/.tessera. */
export function dataDir(): string {
  return process.env.TESSERA_HOME ?? join(homedir(), '.tessera');
}
