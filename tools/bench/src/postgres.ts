/**
 * PostgreSQL side of the bench: the server facts recorded with each run, the bench databases
 * (created fresh, dropped afterwards), and the pgbench baseline B_pg_tps / B_pg_lat.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { childEnv } from './env.js';
import { median } from './stats.js';

export const SYNC_TX_SQL = fileURLToPath(new URL('../sql/sync_tx.sql', import.meta.url));
const SCHEMA_SQL = fileURLToPath(new URL('../sql/pgbench-schema.sql', import.meta.url));

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function recreateDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${ident(name)}`);
  });
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`),
  );
}

/** The identity pool the API created on first start (DEFAULT_POOL_NAME). */
export async function firstIdentityPoolId(url: string): Promise<string | null> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      'SELECT id FROM identity_pool ORDER BY created_at LIMIT 1',
    );
    return rows[0]?.id ?? null;
  });
}

/**
 * Sets a pool's sync trigger straight in the API's database (S7), as the admin API would store
 * it; null removes it. The API notices within its trigger cache TTL (SYNC_TRIGGER_CACHE_MS).
 */
export async function setPoolSyncTrigger(
  url: string,
  identityPoolId: string,
  trigger: { enabled: boolean; target: { kind: 'function'; source: string } } | null,
): Promise<void> {
  await withClient(url, (client) =>
    client.query(
      `INSERT INTO identity_pool_settings (identity_pool_id, sync_trigger) VALUES ($1, $2::jsonb)
       ON CONFLICT (identity_pool_id) DO UPDATE SET sync_trigger = excluded.sync_trigger, updated_at = now()`,
      [identityPoolId, trigger === null ? null : JSON.stringify(trigger)],
    ),
  );
}

/** How long an API process may keep serving a pool's previous trigger (api-router ApiCaches). */
export const SYNC_TRIGGER_CACHE_MS = 5_000;

export interface PostgresFacts {
  version: string;
  server_version: string;
  fsync: string;
  synchronous_commit: string;
  shared_buffers: string;
  max_connections: string;
  wal_level: string;
}

export async function postgresFacts(serverUrl: string): Promise<PostgresFacts> {
  return withClient(serverUrl, async (client) => {
    const show = async (name: string) =>
      ((await client.query(`SHOW ${name}`)).rows[0] as Record<string, string>)[name] ?? '';
    return {
      version: ((await client.query('SELECT version() AS v')).rows[0] as { v: string }).v,
      server_version: await show('server_version'),
      fsync: await show('fsync'),
      synchronous_commit: await show('synchronous_commit'),
      shared_buffers: await show('shared_buffers'),
      max_connections: await show('max_connections'),
      wal_level: await show('wal_level'),
    };
  });
}

/** Creates the Appendix 1 schema and data in `url` (an empty database). */
export async function initPgbenchSchema(
  url: string,
  identities: number,
  records: number,
): Promise<void> {
  const text = fs
    .readFileSync(SCHEMA_SQL, 'utf8')
    .replace(/:identities\b/g, String(identities))
    .replace(/:records\b/g, String(records));
  const statements = text
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .join('\n')
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  await withClient(url, async (client) => {
    for (const statement of statements) await client.query(statement);
  });
}

export interface PgbenchRun {
  tps: number;
  latency_ms: number;
  transactions: number;
  failed: number;
}

export interface PgbenchConnection {
  host: string;
  port: string;
  user: string;
  database: string;
}

export function pgbenchConnection(url: string): PgbenchConnection {
  const parsed = new URL(url);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port || '5432',
    user: decodeURIComponent(parsed.username || 'postgres'),
    database: parsed.pathname.slice(1),
  };
}

const runningPgbench = new Set<ChildProcess>();

/** Stops any pgbench still running (cleanup after a failure or a signal). */
export function killPgbench(): void {
  for (const child of runningPgbench) child.kill('SIGTERM');
  runningPgbench.clear();
}

export function runPgbench(
  connection: PgbenchConnection,
  options: { clients: number; seconds: number; identities: number; records: number },
): Promise<PgbenchRun & { command: string }> {
  const args = [
    '-n',
    '-f',
    SYNC_TX_SQL,
    '-D',
    `identities=${options.identities}`,
    '-D',
    `records=${options.records}`,
    '-c',
    String(options.clients),
    '-j',
    String(Math.min(2, options.clients)),
    '-T',
    String(options.seconds),
    '-M',
    'prepared',
    '-h',
    connection.host,
    '-p',
    connection.port,
    '-U',
    connection.user,
    connection.database,
  ];
  const command = `pgbench ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = execFile(
      'pgbench',
      args,
      { encoding: 'utf8', env: childEnv({ PGCONNECT_TIMEOUT: '10' }) },
      (error, stdout, stderr) => {
        runningPgbench.delete(child);
        if (error) {
          reject(new Error(`${command} failed: ${error.message}\n${stderr}`));
          return;
        }
        const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
        const latency = /latency average = ([\d.]+) ms/.exec(stdout);
        const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
        const failed = /number of failed transactions: (\d+)/.exec(stdout);
        if (!tps || !latency) {
          reject(new Error(`cannot read pgbench output of ${command}:\n${stdout}\n${stderr}`));
          return;
        }
        resolve({
          command,
          tps: Number(tps[1]),
          latency_ms: Number(latency[1]),
          transactions: Number(processed?.[1] ?? 0),
          failed: Number(failed?.[1] ?? 0),
        });
      },
    );
    runningPgbench.add(child);
  });
}

export function pgbenchVersion(): Promise<string> {
  return new Promise((resolve) => {
    execFile('pgbench', ['--version'], { encoding: 'utf8' }, (error, stdout) =>
      resolve(error ? 'unavailable' : stdout.trim()),
    );
  });
}

export function medianRun(runs: PgbenchRun[]): { tps: number; latency_ms: number } {
  return { tps: median(runs.map((r) => r.tps)), latency_ms: median(runs.map((r) => r.latency_ms)) };
}
