/**
 * `apps/push`: the push sync fan-out as a process of its own (scale-out, DATABASE_URL): each
 * committed change is pushed to the identity's other subscribed browsers. Replicas share the work
 * through a lease in PostgreSQL. The embedded default runs it inside the API process instead.
 */
import { createDb, createSecretBox } from '@tandem/db';
import { startPushService } from '@tandem/push-delivery';
import { pino } from 'pino';
import { list, readEnv, type Env } from './env.js';

let env: Env;
try {
  env = readEnv();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

const logger = pino({ level: env.LOG_LEVEL, base: { service: 'push' } });
const database = await createDb({ url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX });
const push = await startPushService({
  database,
  settingsBox: createSecretBox(env.BETTER_AUTH_SECRET),
  vapidSubject: env.PUSH_VAPID_SUBJECT,
  logger,
  policy: { allowedHosts: list(env.PUSH_ALLOWED_HOSTS), devOrigins: list(env.PUSH_DEV_ORIGINS) },
  fanout: { holderId: env.PUSH_ID },
});
logger.info('Tandem push running');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    push
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
