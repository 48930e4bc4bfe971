import { readEnv } from './env.js';
import { startApi } from './app.js';

const env = readEnv();
const api = await startApi(env);
const { logger } = api;
logger.info({ url: api.url, database: env.DATABASE_URL ? 'postgres' : 'embedded' }, 'Tandem API listening');

// Human-readable banner on stdout (logs are JSON for machines).
const lines = [
  '',
  `  Tandem API      ${api.url}`,
  `  tRPC endpoint   ${api.url}/trpc`,
  `  Auth endpoint   ${api.url}/api/auth`,
  `  Database        ${env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${env.TANDEM_HOME}/data`}`,
  ...(api.defaultPool ? [`  Identity pool   ${api.defaultPool.id}  (${api.defaultPool.name}, guests allowed)`] : []),
  `  Health          ${api.url}/healthz   Metrics ${api.url}/metrics`,
  '',
];
process.stdout.write(lines.join('\n') + '\n');

let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
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
