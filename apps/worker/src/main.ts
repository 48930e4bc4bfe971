/**
 * `apps/worker`: the stream export, bulk publish runs and the stream table's retention, as a
 * process of their own next to the API (scale-out, DATABASE_URL). Run several for availability:
 * replicas share the work through leases in PostgreSQL. The embedded default runs the same
 * services inside the API process instead.
 */
import { createDb } from '@tandem/db';
import { startStreamWorker } from '@tandem/streams';
import { pino } from 'pino';
import { readEnv, type Env } from './env.js';

let env: Env;
try {
  env = readEnv();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

const logger = pino({ level: env.LOG_LEVEL, base: { service: 'worker' } });
const database = await createDb({ url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX });
let publishes = 0;
const failpoint = env.TANDEM_FAILPOINT_KILL_AFTER_PUBLISHES;
const worker = await startStreamWorker({
  database,
  logger,
  holderId: env.WORKER_ID,
  exporter: {
    pollIntervalMs: env.STREAMS_POLL_INTERVAL_MS,
    leaseMs: env.STREAMS_LEASE_MS,
    reconcileIntervalMs: env.STREAMS_RECONCILE_INTERVAL_MS,
    afterPublish:
      failpoint === undefined
        ? undefined
        : () => {
            // Acknowledged by the sink, checkpoint not written: the window at-least-once covers.
            if (++publishes >= failpoint) process.kill(process.pid, 'SIGKILL');
          },
  },
  bulkPublish: { leaseMs: env.STREAMS_LEASE_MS },
});
logger.info('Tandem worker running');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing the batches in flight');
    worker
      .stop()
      .then(() => database.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  });
}
