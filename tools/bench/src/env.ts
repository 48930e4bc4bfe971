/**
 * The bench's environment, read in one place (STYLE: only env.ts reads process.env).
 *
 *   BENCH_ARGS           extra flags, appended to the command line ("--quick --concurrency 8,32")
 *   BENCH_PG_URL         PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres)
 *   DATABASE_POOL_MAX, SESSION_CACHE_TTL_MS
 *                        passed through to the API child like any other API variable; recorded
 *                        in the results because they change what is measured
 * Internal, set by the bench for its children:
 *   BENCH_COUNT_QUERIES  "1": the API child counts its SQL round trips
 *   BENCH_BODY_BYTES     size of the trivial server's answer
 */
export const benchEnv = {
  args: (process.env['BENCH_ARGS'] ?? '').split(/\s+/).filter(Boolean),
  pgUrl: process.env['BENCH_PG_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres',
  apiPoolMax: process.env['DATABASE_POOL_MAX'] ?? null,
  apiSessionCacheTtlMs: process.env['SESSION_CACHE_TTL_MS'] ?? null,
  countQueries: process.env['BENCH_COUNT_QUERIES'] === '1',
  bodyBytes: Number(process.env['BENCH_BODY_BYTES'] ?? 64),
};

/** The environment a child process starts from: ours, plus `overrides`. */
export const childEnv = (
  overrides: Record<string, string>,
): Record<string, string | undefined> => ({
  ...process.env,
  ...overrides,
});
