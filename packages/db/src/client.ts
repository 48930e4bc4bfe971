import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** Both drivers behind one type: every query in this package runs unchanged on either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; queries take `Db | Tx` so callers choose the transaction boundary. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

/** A SQL statement for the hot paths; on PostgreSQL it is prepared once per connection by name. */
export interface Statement {
  name: string;
  text: string;
}

/**
 * Raw SQL for the few hot paths (a sync is a handful of statements; building them through the
 * query builder cost more CPU than running them). Values come back as the driver gives them:
 * cast in SQL (`::int8`, epoch ms as float8) and convert with Number().
 */
export interface SqlRunner {
  query<Row = Record<string, unknown>>(statement: Statement, params: unknown[]): Promise<Row[]>;
}

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Prepared raw SQL outside a transaction. */
  sql: SqlRunner;
  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on throw). */
  transaction<T>(fn: (sql: SqlRunner) => Promise<T>): Promise<T>;
  /** Sends NOTIFY `channel` with each payload (outside any write transaction). */
  notify(channel: string, payloads: string[]): Promise<void>;
  /** Runs `handler` for every NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  /** Applies the committed migrations (idempotent). */
  migrate(): Promise<void>;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type CreateDbOptions =
  | { url: string; poolMax?: number | undefined }
  | { dataDir?: string | undefined; loadDataDir?: Blob | undefined };

/**
 * Opens the database: node-postgres when a URL is given (production, CI), else PGlite — the
 * embedded default, persisted in `dataDir` (in memory without one). PGlite is one connection:
 * its transactions run one at a time, which is correct, only slower.
 */
export async function createDb(options: CreateDbOptions = {}): Promise<Database> {
  if ('url' in options) return openPostgres(options.url, options.poolMax ?? 10);
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  return wrapPglite(pglite);
}

export function wrapPglite(pglite: PGlite): Database {
  const db = drizzlePglite(pglite, { schema, casing: 'snake_case' }) as unknown as Db;
  const runner = (q: Pick<PGlite, 'query'>): SqlRunner => ({
    query: async <Row>(statement: Statement, params: unknown[]) =>
      (await q.query<Row>(statement.text, params)).rows,
  });
  return {
    db,
    kind: 'pglite',
    sql: runner(pglite),
    transaction: (fn) => pglite.transaction((tx) => fn(runner(tx))),
    async notify(channel, payloads) {
      for (const payload of payloads)
        await pglite.query('select pg_notify($1, $2)', [channel, payload]);
    },
    async listen(channel, handler) {
      const unsubscribe = await pglite.listen(channel, handler);
      return async () => unsubscribe();
    },
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    ping: async () => {
      await pglite.query('select 1');
    },
    close: () => pglite.close(),
  };
}

function openPostgres(url: string, poolMax: number): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolMax });
  // An idle client dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = drizzleNodePg(pool, { schema, casing: 'snake_case' }) as unknown as Db;
  const listeners: pg.Client[] = [];
  const runner = (q: pg.Pool | pg.PoolClient): SqlRunner => ({
    query: async <Row>(statement: Statement, params: unknown[]) =>
      (
        await q.query<Row & pg.QueryResultRow>({
          name: statement.name,
          text: statement.text,
          values: params,
        })
      ).rows,
  });
  return {
    db,
    kind: 'postgres',
    sql: runner(pool),
    async transaction(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(runner(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back goes back to the pool as broken (discarded).
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async notify(channel, payloads) {
      for (const payload of payloads)
        await pool.query('select pg_notify($1, $2)', [channel, payload]);
    },
    async listen(channel, handler) {
      // A dedicated connection; if it drops (server restart, network), it is opened again with
      // backoff, so notifications resume instead of silently stopping.
      let client: pg.Client | null = null;
      let timer: NodeJS.Timeout | null = null;
      let stopped = false;
      let retryMs = 500;
      const drop = (dead: pg.Client) => {
        if (client !== dead) return false;
        client = null;
        listeners.splice(listeners.indexOf(dead), 1);
        void dead.end().catch(() => {});
        return true;
      };
      const scheduleReconnect = () => {
        if (stopped || timer) return;
        timer = setTimeout(() => {
          timer = null;
          connect().catch(scheduleReconnect);
        }, retryMs);
        timer.unref();
        retryMs = Math.min(retryMs * 2, 30_000);
      };
      const connect = async (): Promise<void> => {
        const next = new pg.Client({ connectionString: url });
        const onDown = () => {
          if (drop(next)) scheduleReconnect();
        };
        next.on('error', onDown);
        next.on('end', onDown);
        next.on('notification', (message) => {
          if (message.channel === channel) handler(message.payload ?? '');
        });
        client = next;
        listeners.push(next);
        try {
          await next.connect();
          await next.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
          retryMs = 500;
        } catch (error) {
          drop(next);
          throw error;
        }
      };
      await connect();
      return async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        const last = client;
        client = null; // so its 'end' does not schedule a reconnect
        if (last) {
          listeners.splice(listeners.indexOf(last), 1);
          await last.end().catch(() => {});
        }
      };
    },
    migrate: () => migrateNodePg(db as never, { migrationsFolder }),
    ping: async () => {
      await pool.query('select 1');
    },
    async close() {
      await Promise.all(listeners.map((client) => client.end().catch(() => {})));
      await pool.end();
    },
  };
}
