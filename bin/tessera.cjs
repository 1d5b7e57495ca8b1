#!/usr/bin/env node
// Entry point of `tessera` / `npx tessera`: builds the bundles if the sources are newer, then runs the CLI.
'use strict';
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) {
  process.stderr.write('tessera: the build failed (see above); run `npm run build` for details.\n');
  process.exit(1);
}
const { main } = require(join(root, 'dist', 'cli.cjs'));
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 50).unref();
  },
  (e) => {
    process.stderr.write(`tessera: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
