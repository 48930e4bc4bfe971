import { defineConfig } from 'vitest/config';

/**
 * One file, one API, one demo server and one browser: the tests run in order and share them
 * (each test makes its own accounts and browser contexts).
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
