/**
 * Composition root: builds the database, auth, caches, live hub and HTTP server from the
 * validated environment. main.ts runs it; tests run it too, on their own databases.
 */
import { createApiCaches, type ApiDeps } from '@tandem/api-router';
import { createSyncSessionTokens, initAuth } from '@tandem/auth';
import {
  ChangeFeed,
  createDb,
  createIdentityPool,
  listIdentityPools,
  type Database,
  type IdentityPoolRow,
} from '@tandem/db';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { Env } from './env.js';
import { createMetrics } from './metrics.js';
import { createApiServer, type ApiServer } from './server.js';

export interface RunningApi {
  url: string;
  deps: ApiDeps;
  server: ApiServer;
  defaultPool: IdentityPoolRow | null;
  logger: Logger;
  stop(): Promise<void>;
}

/** The embedded default keeps one generated secret so sessions survive restarts. */
export function embeddedSecret(home: string): string {
  const file = path.join(home, 'secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(home, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

export async function openDatabase(env: Env): Promise<Database> {
  if (env.DATABASE_URL) return createDb({ url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX });
  const dataDir = path.join(env.TANDEM_HOME, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  return createDb({ dataDir });
}

export async function startApi(
  env: Env,
  options: { database?: Database; logger?: Logger } = {},
): Promise<RunningApi> {
  const logger = options.logger ?? pino({ level: env.LOG_LEVEL, base: { service: 'api' } });
  const database = options.database ?? (await openDatabase(env));
  if (env.MIGRATE_ON_START) await database.migrate();

  const secret = env.BETTER_AUTH_SECRET ?? embeddedSecret(env.TANDEM_HOME);
  if (!env.BETTER_AUTH_SECRET && env.DATABASE_URL) {
    logger.warn('BETTER_AUTH_SECRET is not set: using a generated secret from TANDEM_HOME; set it for every replica');
  }
  const publicUrl = env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`;
  const changeFeed = await ChangeFeed.start(database);
  const auth = initAuth({
    database,
    secret,
    baseURL: publicUrl,
    trustedOrigins: env.TRUSTED_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    rateLimit: env.AUTH_RATE_LIMIT,
    onGuestLinked: (result) => {
      changeFeed.publish(result.changes);
      logger.info({ mergedDatasets: result.mergedDatasetNames.length }, 'guest identity adopted');
    },
  });
  const deps: ApiDeps = {
    database,
    auth,
    syncSessionTokens: createSyncSessionTokens({ secret }),
    changeFeed,
    caches: createApiCaches({ sessionTtlMs: env.SESSION_CACHE_TTL_MS }),
    region: env.TANDEM_REGION,
  };

  let defaultPool: IdentityPoolRow | null = null;
  if (env.DEFAULT_POOL_NAME) {
    const existing = await listIdentityPools(database.db, { maxResults: 1 });
    defaultPool =
      existing.identityPools[0] ??
      (await createIdentityPool(database.db, {
        name: env.DEFAULT_POOL_NAME,
        allowUnauthenticated: true,
        region: env.TANDEM_REGION,
      }));
  }

  const metrics = createMetrics({ liveSubscribers: () => changeFeed.subscriberCount });
  const server = createApiServer({ deps, logger, metrics, maxBodyBytes: env.MAX_BODY_BYTES });
  const { url } = await server.listen(env.PORT, env.HOST);
  let stopping: Promise<void> | null = null;
  return {
    url,
    deps,
    server,
    defaultPool,
    logger,
    stop: () =>
      (stopping ??= (async () => {
        await server.close(env.SHUTDOWN_GRACE_MS);
        if (!options.database) await database.close();
      })()),
  };
}
