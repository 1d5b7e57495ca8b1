// Declarations of the embeddable runtime entry (scheduler/embed/api.ts, which index.ts implements;
// package.json exports "./runtime".types) and of the types they reach, under dist/types/. Run by
// scripts/build.mjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const program = ts.createProgram([join(root, 'scheduler/embed/api.ts')], {
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
const errors = program.emit().diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
if (errors.length) {
  console.error(`[build] runtime types:\n${ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' })}`);
  process.exit(1);
}
