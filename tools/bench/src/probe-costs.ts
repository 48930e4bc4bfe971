/**
 * Diagnostic: CPU cost per operation of each layer of the sync path, measured in one process
 * (process.cpuUsage, so it holds up on a busy machine better than wall-clock numbers). Peels the
 * stack one layer at a time so the difference between two lines is the cost of one layer:
 *
 *   pg raw (SELECT 1, and the ListRecords SQL as plain and as named/prepared statements)
 *   drizzle: build the SQL only; listRecords(); updateRecords()
 *   tRPC caller (no HTTP): record.list, record.update — zod in/out, middlewares, tokens
 *
 * The full HTTP path is what `npm run bench` reports as "API ms/op".
 *
 *   npx tsx tools/bench/src/probe-costs.ts [--seconds 2] [--concurrency 8] [--pg-url URL]
 */
import {
  appRouter,
  createApiCaches,
  createCallerFactory,
  deriveApiSecrets,
  type ApiDeps,
} from '@tandem/api-router';
import { createSyncSessionTokens, initAuth, type SessionUser } from '@tandem/auth';
import {
  ChangeFeed,
  createDb,
  createIdentityPool,
  getOrCreateIdentity,
  listRecords,
  schema,
  updateRecords,
  type Database,
} from '@tandem/db';
import { and, asc, eq, gt, isNotNull, lte, sql } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { benchEnv } from './env.js';
import { databaseUrl, dropDatabase, recreateDatabase } from './postgres.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] ? argv[at + 1]! : fallback;
};
const SECONDS = Number(flag('--seconds', '2'));
const CONCURRENCY = Number(flag('--concurrency', '8'));
const SERVER_URL = flag('--pg-url', benchEnv.pgUrl);
const DB_NAME = 'tandem_bench_probe';

interface Line {
  name: string;
  ops: number;
  opsPerS: number;
  cpuUsPerOp: number;
}

/** Runs `op` in CONCURRENCY loops for SECONDS (after a short warm-up); CPU µs of this process per op. */
async function measure(name: string, op: (worker: number) => Promise<unknown>): Promise<Line> {
  const run = async (ms: number) => {
    let ops = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        while (performance.now() < end) {
          await op(worker);
          ops++;
        }
      }),
    );
    return ops;
  };
  await run(500);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ops = await run(SECONDS * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const line = { name, ops, opsPerS: ops / wall, cpuUsPerOp: (cpu.user + cpu.system) / ops };
  process.stdout.write(
    `${name.padEnd(58)} ${line.opsPerS.toFixed(0).padStart(7)} ops/s ${line.cpuUsPerOp.toFixed(0).padStart(6)} µs CPU/op\n`,
  );
  return line;
}

async function main() {
  await recreateDatabase(SERVER_URL, DB_NAME);
  let database: Database | null = null;
  let hub: ChangeFeed | null = null;
  const rawPool = new pg.Pool({ connectionString: databaseUrl(SERVER_URL, DB_NAME), max: 10 });
  try {
    database = await createDb({ url: databaseUrl(SERVER_URL, DB_NAME), poolMax: 10 });
    await database.migrate();
    const db = database.db;
    const auth = initAuth({
      database,
      secret: 'probe-secret-probe-secret-probe-secret-01',
      baseURL: 'http://127.0.0.1:1',
    });
    const pool = await createIdentityPool(db, {
      name: 'Probe',
      allowUnauthenticated: true,
      region: 'local-1',
    });
    hub = await ChangeFeed.start(database);
    const deps: ApiDeps = {
      database,
      auth,
      syncSessionTokens: createSyncSessionTokens({
        secret: 'probe-secret-probe-secret-probe-secret-01',
      }),
      changeFeed: hub,
      caches: createApiCaches(),
      secrets: deriveApiSecrets('probe-secret-probe-secret-probe-secret-01'),
      // Registrations are not probed here.
      pushEndpoints: { check: async () => {} },
      publicUrl: 'http://127.0.0.1:1',
      region: 'local-1',
      defaultIdentityPoolId: null,
    };
    const createCaller = createCallerFactory(appRouter);

    // One user, identity and dataset per worker (no lock contention between workers).
    const workers = await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, i) => {
        const signedUp = await auth.api.signUpEmail({
          body: {
            email: `probe-${i}-${Date.now()}@bench.test`,
            password: 'probe password 1',
            name: `probe ${i}`,
          },
        });
        const user: SessionUser = {
          userId: signedUp.user.id,
          email: signedUp.user.email,
          isAnonymous: false,
          isAdmin: false,
        };
        const identity = await getOrCreateIdentity(db, {
          identityPoolId: pool.id,
          userId: user.userId,
          authenticated: true,
        });
        const caller = createCaller({ deps, headers: () => new Headers(), user: async () => user });
        const listed = await caller.record.list({ identityPoolId: pool.id, datasetName: 'bench' });
        const written = await caller.record.update({
          identityPoolId: pool.id,
          datasetName: 'bench',
          syncSessionToken: listed.syncSessionToken,
          recordPatches: ['k0', 'k1', 'k2', 'k3', 'k4'].map((key) => ({
            op: 'replace' as const,
            key,
            value: 'v'.repeat(200),
            syncCount: 0,
          })),
        });
        return {
          user,
          identity,
          caller,
          token: listed.syncSessionToken,
          count: written.records[0]!.syncCount,
        };
      }),
    );
    const value = 'v'.repeat(200);

    process.stdout.write(
      `\nCPU of this one process per operation, ${CONCURRENCY} concurrent loops, ${SECONDS} s each\n\n`,
    );
    await measure('pg raw: SELECT 1 (one round trip)', () => rawPool.query('SELECT 1'));

    // The three statements of a no-op ListRecords, as drizzle generates them.
    const w0 = workers[0]!;
    const q1 = db
      .select()
      .from(schema.dataset)
      .where(and(eq(schema.dataset.identityId, w0.identity.id), eq(schema.dataset.name, 'bench')))
      .toSQL();
    const q2 = db
      .select({ name: schema.dataset.name })
      .from(schema.dataset)
      .where(
        and(
          eq(schema.dataset.identityId, w0.identity.id),
          eq(schema.dataset.exists, true),
          isNotNull(schema.dataset.mergedFromIdentityId),
          sql`${schema.dataset.name} = ${'bench'} || '.' || ${schema.dataset.mergedFromIdentityId}`,
        ),
      )
      .orderBy(asc(schema.dataset.name))
      .toSQL();
    const q3 = db
      .select()
      .from(schema.record)
      .where(
        and(
          eq(schema.record.identityId, w0.identity.id),
          eq(schema.record.datasetName, 'bench'),
          lte(schema.record.syncCount, 1_000_000),
          gt(schema.record.syncCount, 1_000_000),
        ),
      )
      .orderBy(asc(schema.record.syncCount), asc(schema.record.key))
      .limit(1025)
      .toSQL();
    const paramsOf = (worker: number, params: unknown[]) =>
      params.map((p) => (p === w0.identity.id ? workers[worker]!.identity.id : p));
    await measure('pg raw: ListRecords SQL (3 queries, parallel like listRecords)', async (w) => {
      await Promise.all([
        rawPool.query(q1.sql, paramsOf(w, q1.params)),
        rawPool.query(q2.sql, paramsOf(w, q2.params)),
      ]);
      await rawPool.query(q3.sql, paramsOf(w, q3.params));
    });
    await measure('pg raw: same, named (prepared) statements', async (w) => {
      await Promise.all([
        rawPool.query({ name: 'q1', text: q1.sql, values: paramsOf(w, q1.params) }),
        rawPool.query({ name: 'q2', text: q2.sql, values: paramsOf(w, q2.params) }),
      ]);
      await rawPool.query({ name: 'q3', text: q3.sql, values: paramsOf(w, q3.params) });
    });
    await measure('drizzle: build the 3 ListRecords statements (no I/O)', async (w) => {
      const id = workers[w]!.identity.id;
      db.select()
        .from(schema.dataset)
        .where(and(eq(schema.dataset.identityId, id), eq(schema.dataset.name, 'bench')))
        .toSQL();
      db.select({ name: schema.dataset.name })
        .from(schema.dataset)
        .where(
          and(
            eq(schema.dataset.identityId, id),
            eq(schema.dataset.exists, true),
            isNotNull(schema.dataset.mergedFromIdentityId),
            sql`${schema.dataset.name} = ${'bench'} || '.' || ${schema.dataset.mergedFromIdentityId}`,
          ),
        )
        .orderBy(asc(schema.dataset.name))
        .toSQL();
      db.select()
        .from(schema.record)
        .where(
          and(
            eq(schema.record.identityId, id),
            eq(schema.record.datasetName, 'bench'),
            gt(schema.record.syncCount, 5),
          ),
        )
        .orderBy(asc(schema.record.syncCount), asc(schema.record.key))
        .limit(1025)
        .toSQL();
    });
    await measure('@tandem/db listRecords (no-op: nothing new)', (w) =>
      listRecords(database!.sql, {
        identityId: workers[w]!.identity.id,
        datasetName: 'bench',
        lastSyncCount: 1_000_000,
        maxResults: 1024,
      }),
    );
    await measure('tRPC caller record.list (no HTTP; zod, middlewares, token)', (w) =>
      workers[w]!.caller.record.list({
        identityPoolId: pool.id,
        datasetName: 'bench',
        lastSyncCount: 1_000_000,
      }),
    );
    await measure('@tandem/db updateRecords, 1 record (transaction)', async (w) => {
      const worker = workers[w]!;
      const result = await updateRecords(database!, {
        identityPoolId: pool.id,
        identityId: worker.identity.id,
        datasetName: 'bench',
        patches: [{ op: 'replace', key: 'k0', value, syncCount: worker.count }],
        writer: { source: 'identity', lastModifiedBy: 'probe' },
      });
      worker.count = result.records[0]!.syncCount;
    });
    await measure('tRPC caller record.update, 1 record (no HTTP)', async (w) => {
      const worker = workers[w]!;
      const result = await worker.caller.record.update({
        identityPoolId: pool.id,
        datasetName: 'bench',
        syncSessionToken: worker.token,
        recordPatches: [{ op: 'replace', key: 'k0', value, syncCount: worker.count }],
      });
      worker.count = result.records[0]!.syncCount;
    });
    await measure('pg raw: BEGIN; SELECT 1 ×5; COMMIT (7 round trips, no work)', async () => {
      const client = await rawPool.connect();
      try {
        await client.query('BEGIN');
        for (let i = 0; i < 5; i++) await client.query('SELECT 1');
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
  } finally {
    await hub?.close();
    await rawPool.end().catch(() => {});
    await database?.close().catch(() => {});
    await dropDatabase(SERVER_URL, DB_NAME);
  }
}

await main();
process.exit(0);
