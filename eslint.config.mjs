// Lint and the layering rules. Layers, each importing only from below:
//   common (pure rules every layer shares, the renderer included: no Node, no I/O)
//   base (Node helpers: paths, workers)  <  profiler, workloads, scheduler (Node)  <  engine  <  server, cli, electron
//   scheduler/core is pure (no Node, no I/O) and so imports neither base/ nor the I/O layers.
//   renderer talks to the engine only through engine/api.ts (types + protocol) and may reuse pure code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const noElectronOrRenderer = [
  { group: ['electron', 'electron/*'], message: 'profiler/, scheduler/ and workloads/ must not depend on Electron.' },
  { group: ['**/renderer', '**/renderer/*', '**/renderer/**'], message: 'Libraries must not import the renderer.' },
  { group: ['**/engine/*', '**/server/*', '**/cli/*'], message: 'Libraries must not import the layers above them.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', '.device/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Pure code shared by every layer, the renderer included: no Node, no Electron, no other folder.
    files: ['common/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins.map((name) => ({ name, message: 'common/ is pure (the renderer imports it): no Node built-ins.' })), { name: 'onnxruntime-node', message: 'common/ is pure.' }],
        patterns: [
          { group: ['electron', 'electron/*'], message: 'common/ is pure: no Electron.' },
          { group: ['**/base/**', '**/profiler/**', '**/scheduler/**', '**/workloads/**', '**/engine/**', '**/server/**', '**/cli/**', '**/renderer/**', '**/electron/**'], message: 'common/ is below every layer: it imports none of them.' },
        ],
      }],
    },
  },
  {
    files: ['base/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['electron', 'electron/*'], message: 'base/ is below every layer: no Electron.' },
        { group: ['**/profiler/**', '**/scheduler/**', '**/workloads/**', '**/engine/**', '**/server/**', '**/cli/**', '**/renderer/**', '**/electron/**'], message: 'base/ is below every layer: it imports none of them.' },
      ] }],
    },
  },
  {
    files: ['profiler/**', 'scheduler/**', 'workloads/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: noElectronOrRenderer }] },
  },
  {
    files: ['scheduler/core/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins.map((name) => ({ name, message: 'scheduler/core is pure: no Node built-ins.' })), { name: 'onnxruntime-node', message: 'scheduler/core is pure.' }],
        patterns: [...noElectronOrRenderer, { group: ['**/base/*', '**/profiler/*', '**/workloads/*', '**/live/*', '**/dysta/node*'], message: 'scheduler/core is pure: no I/O layers.' }],
      }],
    },
  },
  {
    // No import cycles in the scheduler (type-only imports count too: a cycle of types is still a
    // tangle of responsibilities). test/lint-rules.test.ts proves the rule fails on a cycle.
    files: ['scheduler/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.mjs', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mjs', '.js', '.json'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'The renderer runs in a sandboxed page: no Node built-ins.' })),
        patterns: [{ group: ['electron', 'onnxruntime-node', 'systeminformation', '**/base/*', '**/profiler/*', '**/profiler/**', '**/workloads/**', '**/engine/engine*', '**/engine/features*', '**/server/*', '**/cli/*'], message: 'The renderer reaches the engine only through engine/api.ts and engine/client.ts (type imports are fine).', allowTypeImports: true }],
      }],
    },
  },
);
