/**
 * Composition root: builds the database, auth, caches, live hub and HTTP server from the
 * validated environment. main.ts runs it; tests run it too, on their own databases.
 */
import { createApiCaches, deriveApiSecrets, NoopPullCache, type ApiDeps } from '@tandem/api-router';
import { createAwsCompat } from '@tandem/aws-compat';
import { createSyncSessionTokens, hasAdminUser, initAuth } from '@tandem/auth';
import {
  ChangeFeed,
  createDb,
  createIdentityPool,
  listIdentityPools,
  type Database,
  type IdentityPoolRow,
} from '@tandem/db';
import {
  checkPushSubscription,
  createPushEndpointPolicy,
  startPushService,
} from '@tandem/push-delivery';
import { startStreamWorker } from '@tandem/streams';
import { createSyncTriggerRunner } from '@tandem/triggers';
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
  /** The first-run setup token when no administrator existed at start, else null. */
  setupToken: string | null;
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

/** BETTER_AUTH_SECRET, or the secret generated once into TANDEM_HOME (created on first use). */
export function authSecret(env: Env): string {
  return env.BETTER_AUTH_SECRET ?? embeddedSecret(env.TANDEM_HOME);
}

function warnAboutSecret(env: Env, logger: Logger): void {
  if (!env.BETTER_AUTH_SECRET && env.DATABASE_URL) {
    logger.warn(
      'BETTER_AUTH_SECRET is not set: using a generated secret from TANDEM_HOME; set it for every replica',
    );
  }
}

/**
 * With DEFAULT_POOL_NAME set: the first identity pool, created (guests allowed) when there is
 * none yet. Not safe to run concurrently on an empty database (two callers create two pools):
 * a cluster primary runs it once before forking its workers.
 */
export async function ensureDefaultPool(
  database: Database,
  env: Env,
): Promise<IdentityPoolRow | null> {
  if (!env.DEFAULT_POOL_NAME) return null;
  const existing = await listIdentityPools(database.db, { maxResults: 1 });
  return (
    existing.identityPools[0] ??
    (await createIdentityPool(database.db, {
      name: env.DEFAULT_POOL_NAME,
      allowUnauthenticated: true,
      region: env.TANDEM_REGION,
    }))
  );
}

/** The setup token to print while no administrator exists (checked once, at start). */
async function setupTokenIfNeeded(database: Database, secret: string): Promise<string | null> {
  return (await hasAdminUser(database)) ? null : deriveApiSecrets(secret).setupToken;
}

/**
 * What a cluster primary does once, before forking workers that share the work: migrations
 * (MIGRATE_ON_START), the generated secret when BETTER_AUTH_SECRET is unset (so every worker
 * reads the same one), the default identity pool. The connection is closed again.
 */
export async function prepareOnce(
  env: Env,
  logger: Logger,
): Promise<{ defaultPool: IdentityPoolRow | null; setupToken: string | null }> {
  const database = await openDatabase(env);
  try {
    if (env.MIGRATE_ON_START) await database.migrate();
    const secret = authSecret(env);
    warnAboutSecret(env, logger);
    return {
      defaultPool: await ensureDefaultPool(database, env),
      setupToken: await setupTokenIfNeeded(database, secret),
    };
  } finally {
    await database.close();
  }
}

export async function startApi(
  env: Env,
  options: {
    database?: Database;
    logger?: Logger;
    /** Started by a cluster primary that already ran prepareOnce() and its warnings. */
    clusterWorker?: boolean;
  } = {},
): Promise<RunningApi> {
  const logger = options.logger ?? pino({ level: env.LOG_LEVEL, base: { service: 'api' } });
  const database = options.database ?? (await openDatabase(env));
  if (env.MIGRATE_ON_START) await database.migrate();

  const secret = authSecret(env);
  if (!options.clusterWorker) warnAboutSecret(env, logger);
  const publicUrl = env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`;
  const changeFeed = await ChangeFeed.start(database);
  const auth = initAuth({
    database,
    secret,
    baseURL: publicUrl,
    trustedOrigins: env.TRUSTED_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    rateLimit: env.AUTH_RATE_LIMIT,
    onGuestLinked: (result) => {
      changeFeed.publish(result.changes);
      logger.info({ mergedDatasets: result.mergedDatasetNames.length }, 'guest identity adopted');
    },
  });
  const runsWorker = (env.RUN_WORKER ?? !env.DATABASE_URL) && !options.clusterWorker;
  // The embedded default hosts the worker's stream services too (DESIGN §2); they wake on the
  // in-process change feed, as PGlite writes are not announced with NOTIFY.
  const streamWorker = runsWorker
    ? await startStreamWorker({
        database,
        feed: changeFeed,
        logger: logger.child({ service: 'worker' }),
      })
    : null;
  const secrets = deriveApiSecrets(secret);
  const list = (text: string | undefined) =>
    text === undefined
      ? undefined
      : text
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean);
  const pushPolicy = createPushEndpointPolicy({
    allowedHosts: list(env.PUSH_ALLOWED_HOSTS),
    devOrigins: list(env.PUSH_DEV_ORIGINS),
  });
  const pushService = runsWorker
    ? await startPushService({
        database,
        feed: changeFeed,
        settingsBox: secrets.settingsBox,
        vapidSubject:
          env.PUSH_VAPID_SUBJECT ??
          (publicUrl.startsWith('https:') ? publicUrl : 'mailto:push@tandem.invalid'),
        logger: logger.child({ service: 'push' }),
        policy: {
          allowedHosts: list(env.PUSH_ALLOWED_HOSTS),
          devOrigins: list(env.PUSH_DEV_ORIGINS),
        },
      })
    : null;
  const syncTriggers = createSyncTriggerRunner();
  const deps: ApiDeps = {
    database,
    auth,
    syncSessionTokens: createSyncSessionTokens({ secret }),
    changeFeed,
    caches: createApiCaches({ sessionTtlMs: env.SESSION_CACHE_TTL_MS }),
    secrets,
    syncTriggers,
    pushEndpoints: { check: (subscription) => checkPushSubscription(pushPolicy, subscription) },
    publicUrl,
    region: env.TANDEM_REGION,
    defaultIdentityPoolId: env.DEFAULT_POOL_ID ?? null,
  };

  const defaultPool = await ensureDefaultPool(database, env);
  if (defaultPool) deps.defaultIdentityPoolId = defaultPool.id;
  const setupToken = options.clusterWorker ? null : await setupTokenIfNeeded(database, secret);

  const metrics = createMetrics({ liveSubscribers: () => changeFeed.subscriberCount });
  // One no-op pull cache for both surfaces (tRPC and AWS), dropped by any change of an identity.
  const noopPulls = new NoopPullCache(changeFeed, env.SESSION_CACHE_TTL_MS);
  const server = createApiServer({
    deps,
    logger,
    metrics,
    maxBodyBytes: env.MAX_BODY_BYTES,
    noopPulls,
    awsCompat: createAwsCompat({
      api: deps,
      serverSecret: secret,
      maxBodyBytes: env.MAX_BODY_BYTES,
      onError: (err) => logger.error({ err }, 'AWS-compatible request failed'),
      noopPulls,
      // As better-auth's limits on the tRPC guest sign-in (off with AUTH_RATE_LIMIT=false).
      guestIdentitiesPerMinute: env.AUTH_RATE_LIMIT ? 30 : 0,
    }),
  });
  const { url } = await server.listen(env.PORT, env.HOST);
  // With PORT=0 the address is known only now.
  if (!env.PUBLIC_URL) deps.publicUrl = url;
  let stopping: Promise<void> | null = null;
  return {
    url,
    deps,
    server,
    defaultPool,
    setupToken,
    logger,
    stop: () =>
      (stopping ??= (async () => {
        await server.close(env.SHUTDOWN_GRACE_MS);
        await deps.syncTriggers?.close();
        await streamWorker?.stop();
        await pushService?.stop();
        if (!options.database) await database.close();
      })()),
  };
}
