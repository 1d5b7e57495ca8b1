import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests never write into the user's ~/.tessera (stored simulations, runs, profiles): each test run gets
// its own home, which a test may still replace with its own.
const testHome = mkdtempSync(join(tmpdir(), 'tessera-test-home-'));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['verbose'],
    env: { TESSERA_HOME: testHome },
  },
});
