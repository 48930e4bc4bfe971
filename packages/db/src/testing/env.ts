/**
 * Test-only environment, read here and nowhere else in the test helpers (DESIGN §5: one place
 * reads process.env).
 */

/** Set DATABASE_URL to run the database-backed tests on PostgreSQL. */
export const testDatabaseUrl: string | undefined = process.env['DATABASE_URL'] || undefined;

/**
 * The seed of property tests that pin one: CI runs a fixed seed, so a red run can be replayed;
 * FC_SEED=random explores (undefined: fast-check picks), FC_SEED=<n> replays a printed seed.
 */
export const fastCheckSeed: number | undefined =
  process.env['FC_SEED'] === 'random' ? undefined : Number(process.env['FC_SEED'] || 20261127);

/**
 * The test process's environment (PATH and the like), for child processes it starts, without
 * the variables whose names start with one of `dropPrefixes` (the child gets its own).
 */
export function parentEnvironment(dropPrefixes: readonly string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !dropPrefixes.some((prefix) => key.startsWith(prefix))) {
      env[key] = value;
    }
  }
  return env;
}
