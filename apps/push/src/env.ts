/**
 * The push process's configuration, read once from the environment (the only place that reads
 * process.env). See docs/push.md.
 */
import { z } from 'zod';

export const envSchema = z.object({
  /** PostgreSQL URL (the embedded PGlite default runs push inside the API process instead). */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(50).default(4),
  /** The API's secret: it derives the key that opens the pools' sealed VAPID private keys. */
  BETTER_AUTH_SECRET: z.string().min(32),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** This replica's name in the fan-out's lease (default: a random id per start). */
  PUSH_ID: z.string().min(1).max(128).optional(),
  PUSH_ALLOWED_HOSTS: z.string().optional(),
  PUSH_DEV_ORIGINS: z.string().default(''),
  PUSH_VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:)/, 'mailto: or https: URL')
    .default('mailto:push@tandem.invalid'),
});

export type Env = z.infer<typeof envSchema>;

export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid push configuration:\n${problems.join('\n')}`);
  }
  return result.data;
}

/** A comma-separated list, or undefined when unset (the policy's default then applies). */
export const list = (text: string | undefined): string[] | undefined =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean);
