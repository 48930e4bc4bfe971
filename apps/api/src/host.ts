/**
 * What every API host process shares, single or clustered: the human-readable start banner and
 * graceful shutdown on a signal.
 */
import type { IdentityPoolRow } from '@tandem/db';
import type { Logger } from 'pino';
import type { RunningApi } from './app.js';
import type { Env } from './env.js';

/** The banner on stdout (logs are JSON for machines); tools and tests read its first URL. */
export function printBanner(
  env: Env,
  info: {
    url: string;
    defaultPool: IdentityPoolRow | null;
    workers: number;
    /** Printed while no administrator exists: the console's first-run setup asks for it. */
    setupToken: string | null;
  },
): void {
  const { url, defaultPool, workers, setupToken } = info;
  const lines = [
    '',
    `  Tandem API      ${url}`,
    `  tRPC endpoint   ${url}/trpc`,
    `  Auth endpoint   ${url}/api/auth`,
    `  Database        ${env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${env.TANDEM_HOME}/data`}`,
    ...(defaultPool
      ? [`  Identity pool   ${defaultPool.id}  (${defaultPool.name}, guests allowed)`]
      : []),
    ...(workers > 1 ? [`  Processes       ${workers} workers on one port (API_WORKERS)`] : []),
    ...(setupToken
      ? [
          `  Console setup   token ${setupToken}  (creates the first admin; or: npm run tandem --workspace @tandem/api -- admin:create)`,
        ]
      : []),
    `  Health          ${url}/healthz   Metrics ${url}/metrics`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/**
 * On the first of `signals`: stop accepting, drain (api.stop()), exit 0. A second signal exits
 * at once with 1.
 */
export function drainOnSignals(
  api: RunningApi,
  logger: Logger,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): void {
  let signalled = false;
  for (const signal of signals) {
    process.on(signal, () => {
      if (signalled) process.exit(1); // a second signal: stop now
      signalled = true;
      logger.info({ signal }, 'shutting down: draining requests');
      api.stop().then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
