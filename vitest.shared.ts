import { defineConfig } from 'vitest/config';

/**
 * Shared test settings. Database-backed tests (`*.pg.test.ts`) run on PGlite by default and on
 * PostgreSQL when DATABASE_URL is set; `test-pg` runs only those.
 */
export const testConfig = (options: { pgOnly?: boolean } = {}) =>
  defineConfig({
    test: {
      include: options.pgOnly ? ['src/**/*.pg.test.ts'] : ['src/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      // PGlite holds ~750 MB per worker; two workers fit these 2 cores.
      maxWorkers: 2,
    },
  });
