/**
 * The API's configuration, read once from the environment (the only place that reads
 * process.env). Every variable is documented in the README's configuration reference.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const envSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** PostgreSQL URL. Unset: the embedded PGlite database in TANDEM_HOME/data. */
  DATABASE_URL: z.string().url().optional(),
  /**
   * PostgreSQL connections per process. Default: twice the cores here (at least 4). More
   * connections than the database has cores to serve them only add contention: on 2 cores, 4
   * gave 20-40 % more write throughput than 8-10 (measured with `npm run bench`).
   */
  DATABASE_POOL_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(Math.max(4, 2 * os.availableParallelism())),
  /** Where the embedded default keeps its data and generated secret. */
  TANDEM_HOME: z.string().default(`${repoRoot}.tandem`),
  /** Signs sessions and sync session tokens. Unset: generated once into TANDEM_HOME/secret. */
  BETTER_AUTH_SECRET: z.string().min(32).optional(),
  /** The URL clients use to reach this API (better-auth's base URL). */
  PUBLIC_URL: z.string().url().optional(),
  /** Comma-separated browser origins allowed to call the auth endpoints (the console, apps). */
  TRUSTED_ORIGINS: z.string().default(''),
  /** Region prefix of new identity pool and identity ids (`<region>:<uuid>`). */
  TANDEM_REGION: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .default('local-1'),
  /** Request bodies larger than this are refused with 413 before they are parsed. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  MIGRATE_ON_START: booleanText.default(true),
  /** On first start with no identity pool, create one with this name (empty: don't). */
  DEFAULT_POOL_NAME: z.string().default('Default'),
  /**
   * The pool `meta.defaultIdentityPool` announces to apps that ask (the demo does). Defaults to
   * the pool DEFAULT_POOL_NAME created; a cluster primary passes it to its workers.
   */
  DEFAULT_POOL_ID: z.string().optional(),
  SESSION_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUTH_RATE_LIMIT: booleanText.default(true),
  /**
   * API processes on this host sharing one port (node:cluster). Above 1 it needs DATABASE_URL:
   * the embedded PGlite database can only be opened by one process.
   */
  API_WORKERS: z.coerce.number().int().min(1).max(256).default(1),
  /**
   * Run the worker's stream services (export, bulk publish, retention) in this process. Unset:
   * yes on the embedded database (the one process hosts everything), no with DATABASE_URL,
   * where `apps/worker` runs them as their own processes.
   */
  RUN_WORKER: booleanText.optional(),
  /**
   * Push services browsers may register (comma-separated host names, `*.suffix` allowed).
   * Unset: FCM, Mozilla autopush, Apple and Windows push services. Research B4: closed by
   * default, so a device cannot make the server call arbitrary URLs.
   */
  PUSH_ALLOWED_HOSTS: z.string().optional(),
  /** Development and tests only: exact `http://127.0.0.1:<port>` push services to allow. */
  PUSH_DEV_ORIGINS: z.string().default(''),
  /** VAPID contact (`mailto:` or `https:`) push services see. Default: PUBLIC_URL if https. */
  PUSH_VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:)/, 'mailto: or https: URL')
    .optional(),
});

export type Env = z.infer<typeof envSchema>;

/** Variables where an empty value means "empty" rather than "unset, use the default". */
const EMPTY_IS_A_VALUE = new Set(['DEFAULT_POOL_NAME']);

const checkedEnvSchema = envSchema.superRefine((env, ctx) => {
  if (env.API_WORKERS > 1 && !env.DATABASE_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['API_WORKERS'],
      message: `API_WORKERS=${env.API_WORKERS} needs DATABASE_URL (PostgreSQL): the embedded PGlite database can only be opened by one process. Set DATABASE_URL, or API_WORKERS=1.`,
    });
  }
});

export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([k, v]) => v !== '' || EMPTY_IS_A_VALUE.has(k)),
  );
  const parsed = checkedEnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `  ${i.path.join('.')}: ${i.message}`)
      .join('\n');
    throw new Error(`Invalid environment:\n${problems}`);
  }
  return parsed.data;
}
