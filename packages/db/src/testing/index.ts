import { PGlite } from '@electric-sql/pglite';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, wrapPglite, type Database } from '../client.js';
import { fastCheckSeed, parentEnvironment, testDatabaseUrl } from './env.js';

let template: Promise<Blob> | null = null;

/** A migrated PGlite, dumped once per test process and cloned per test database (≈0.6 s vs 4 s). */
async function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const pglite = await PGlite.create();
    await wrapPglite(pglite).migrate();
    const blob = await pglite.dumpDataDir('none');
    await pglite.close();
    return blob;
  })();
  return template;
}

export interface TestDatabase extends Database {
  /** For PostgreSQL runs: the URL of this test's own database. */
  url: string | null;
}

/**
 * A fresh, migrated database for one test file: a PGlite clone, or — when DATABASE_URL is set —
 * a new database on that server, dropped again on close.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!testDatabaseUrl) {
    const database = await createDb({ loadDataDir: await pgliteTemplate() });
    return { ...database, url: null };
  }
  const name = `tandem_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  const database = await createDb({ url: url.toString() });
  await database.migrate();
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      const cleanup = new pg.Client({ connectionString: testDatabaseUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

export { fastCheckSeed, parentEnvironment, testDatabaseUrl };
