import { defineConfig } from 'vitest/config';

/**
 * One file, one API, one console server and one browser: the tests run in order and build on
 * each other (an admin walking through the console), each saving screenshots.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    // beforeAll builds the console (about a minute on two cores, longer beside other suites).
    hookTimeout: 420_000,
    fileParallelism: false,
  },
});
