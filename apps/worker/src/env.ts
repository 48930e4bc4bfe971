/**
 * The worker's configuration, read once from the environment (the only place that reads
 * process.env). Documented in the README's configuration reference.
 */
import { z } from 'zod';

export const envSchema = z.object({
  /**
   * PostgreSQL URL (required: a separate worker process shares the database with the API; the
   * embedded PGlite default runs the worker inside the API process instead).
   */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(50).default(4),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** This replica's name in leases (default: a random id per start). */
  WORKER_ID: z.string().min(1).max(128).optional(),
  /** Fallback poll interval of the stream export (NOTIFY wakes it sooner). */
  STREAMS_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
  /**
   * Leases of a pool's export and of a bulk publish run: how soon a dead replica is replaced.
   * Keep it well above the slowest batch (a sink gives up on a publish after 5 s), or a live
   * replica's batch may be taken over and sent twice.
   */
  STREAMS_LEASE_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** How often the worker rereads the pools' streams settings. */
  STREAMS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(50).default(2_000),
  /**
   * Failure injection for the crash tests: after this many acknowledged stream batches, the
   * worker kills itself with SIGKILL before writing the checkpoint. Never set it in production.
   */
  TANDEM_FAILPOINT_KILL_AFTER_PUBLISHES: z.coerce.number().int().min(1).optional(),
});

export type Env = z.infer<typeof envSchema>;

export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid worker configuration:\n${problems.join('\n')}`);
  }
  return result.data;
}
