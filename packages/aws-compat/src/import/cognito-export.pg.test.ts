/**
 * Importing a Cognito Streams export into a real database: the stored records equal the
 * export's final state, identities keep their ids, a re-run writes nothing, limits and pool
 * mismatches are reported, and Tandem's own stream records re-import.
 */
import {
  createIdentityPool,
  deleteDataset,
  findIdentityById,
  getOrCreateIdentity,
  listRecords,
  schema,
  updateRecords,
  type Database,
} from '@tandem/db';
import { createTestDatabase, type TestDatabase } from '@tandem/db/testing';
import { SyncError } from '@tandem/domain';
import { toStreamRecord } from '@tandem/streams';
import { asc, count, eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  importCognitoExport,
  parseCognitoExport,
  type CognitoStreamRecord,
} from './cognito-export.js';

let database: TestDatabase;
let other: TestDatabase | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await other?.close();
  await database?.close();
});

const AWS_POOL = `us-east-1:${randomUUID()}`;
const newPool = async (db: Database = database) =>
  (
    await createIdentityPool(db.db, {
      name: 'imported',
      allowUnauthenticated: true,
      region: 'local-1',
    })
  ).id;
const awsIdentity = () => `us-east-1:${randomUUID()}`;
/** Two identity ids, in the order the import goes (by id). */
function twoIdentities(): [string, string] {
  const [x, y] = [awsIdentity(), awsIdentity()];
  return x < y ? [x, y] : [y, x];
}

const T = 1_700_000_000_000;
interface R {
  key: string;
  value: string | null;
  syncCount: number;
  device?: number;
}
const streamRecord = (
  identityPoolId: string,
  identityId: string,
  datasetName: string,
  syncCount: number,
  records: R[],
  operation: 'replace' | 'remove' = 'replace',
) => ({
  identityPoolId,
  identityId,
  datasetName,
  operation,
  payloadType: 'Inline',
  kinesisSyncRecords: records.map((r) => ({
    key: r.key,
    value: r.value,
    syncCount: r.syncCount,
    lastModifiedDate: T + r.syncCount * 1000,
    deviceLastModifiedDate: r.device ?? T + r.syncCount * 1000 - 7,
    op: r.value === null ? 'remove' : 'replace',
  })),
  lastModifiedDate: T + syncCount * 1000,
  syncCount,
});

/** A bulk publish of two identities, then live updates (one arrives before the bulk). */
function fixture(pool: string, a: string, b: string) {
  const bulk = [
    streamRecord(pool, a, 'settings', 3, [
      { key: 'theme', value: 'dark', syncCount: 3 },
      { key: 'lang', value: 'en', syncCount: 1 },
      { key: 'old', value: null, syncCount: 2 },
    ]),
    streamRecord(pool, a, 'scores', 2, [
      { key: 'level1', value: '100', syncCount: 1 },
      { key: 'level2', value: '200', syncCount: 2 },
    ]),
    streamRecord(pool, b, 'settings', 1, [{ key: 'theme', value: 'light', syncCount: 1 }]),
    streamRecord(pool, b, 'todo', 2, [
      { key: 'a', value: 'milk', syncCount: 1 },
      { key: 'b', value: 'eggs', syncCount: 2 },
    ]),
  ];
  const live = [
    streamRecord(pool, a, 'settings', 5, [{ key: 'lang', value: null, syncCount: 5 }]),
    streamRecord(pool, a, 'scores', 3, [], 'remove'),
    // A live update the bulk publish also carried (no uniqueness guarantee), and new ones.
    streamRecord(pool, b, 'todo', 2, [{ key: 'b', value: 'eggs', syncCount: 2 }]),
    streamRecord(pool, b, 'todo', 3, [{ key: 'c', value: 'bread', syncCount: 3 }]),
    streamRecord(pool, b, 'todo', 4, [
      { key: 'a', value: null, syncCount: 4 },
      { key: 'b', value: 'ham', syncCount: 4, device: T + 123_456 },
    ]),
  ];
  // theme → blue at 4 arrives first in the file; sync-count order puts it after the bulk.
  const early = streamRecord(pool, a, 'settings', 4, [
    { key: 'theme', value: 'blue', syncCount: 4, device: T + 42 },
  ]);
  return { bulk, live, early };
}

const jsonl = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n');

function parse(records: unknown[]): CognitoStreamRecord[] {
  const parsed = parseCognitoExport(jsonl(records));
  expect(parsed.errors).toEqual([]);
  return parsed.records;
}

async function stored(db: Database, identityId: string, datasetName: string) {
  const result = await listRecords(db.sql, { identityId, datasetName, maxResults: 1024 });
  return {
    exists: result.datasetExists,
    records: Object.fromEntries(
      result.records.map((r) => [r.key, { value: r.value, device: r.deviceLastModifiedDate }]),
    ),
    lastModifiedBy: result.lastModifiedBy,
  };
}

const changeLogRows = async (db: Database = database) =>
  (await db.db.select({ n: count() }).from(schema.changeLog))[0]?.n ?? 0;

describe('importCognitoExport', () => {
  it('imports a bulk publish and live updates to their final state, keeping identity ids', async () => {
    const pool = await newPool();
    const [a, b] = twoIdentities();
    const { bulk, live, early } = fixture(pool, a, b);
    const records = parse([early, ...bulk, ...live]);

    const summary = await importCognitoExport(database, { identityPoolId: pool, records });
    expect(summary).toEqual({
      dryRun: false,
      identitiesCreated: 2,
      datasetsWritten: 3,
      // a/settings: theme (lang and old are tombstones of keys never stored); b: theme; todo: b, c
      recordsWritten: 4,
      datasetsDeleted: 0,
      datasetsUnchanged: 1, // a/scores: deleted in the export, never stored here
      skipped: [],
      failed: [],
    });

    expect(await stored(database, a, 'settings')).toEqual({
      exists: true,
      records: { theme: { value: 'blue', device: T + 42 } },
      lastModifiedBy: 'import',
    });
    expect((await stored(database, a, 'scores')).exists).toBe(false);
    expect((await stored(database, b, 'settings')).records).toEqual({
      theme: { value: 'light', device: T + 1000 - 7 },
    });
    expect((await stored(database, b, 'todo')).records).toEqual({
      b: { value: 'ham', device: T + 123_456 },
      c: { value: 'bread', device: T + 3000 - 7 },
    });

    for (const id of [a, b]) {
      const row = await findIdentityById(database.db, id);
      expect(row).toMatchObject({
        id,
        identityPoolId: pool,
        authenticated: false,
        userId: `aws-guest:import:${id}`,
      });
    }
    // One system write per dataset, through the normal write path (change log).
    const changes = await database.db
      .select()
      .from(schema.changeLog)
      .where(eq(schema.changeLog.identityPoolId, pool))
      .orderBy(asc(schema.changeLog.id));
    expect(changes.map((c) => [c.identityId === a ? 'a' : 'b', c.datasetName, c.kind])).toEqual([
      ['a', 'settings', 'update'],
      ['b', 'settings', 'update'],
      ['b', 'todo', 'update'],
    ]);
    expect(new Set(changes.map((c) => `${c.source}/${c.lastModifiedBy}`))).toEqual(
      new Set(['system/import']),
    );

    // Re-running changes nothing.
    const before = await changeLogRows();
    const again = await importCognitoExport(database, { identityPoolId: pool, records });
    expect(again).toMatchObject({
      identitiesCreated: 0,
      datasetsWritten: 0,
      recordsWritten: 0,
      datasetsDeleted: 0,
      datasetsUnchanged: 4,
      failed: [],
    });
    expect(await changeLogRows()).toBe(before);
  });

  it('applies live updates over an earlier import: removals, deletions, and a dry run first', async () => {
    const pool = await newPool();
    const [a, b] = twoIdentities();
    const { bulk, live, early } = fixture(pool, a, b);
    await importCognitoExport(database, { identityPoolId: pool, records: parse(bulk) });
    expect((await stored(database, a, 'scores')).records).toMatchObject({
      level1: { value: '100' },
      level2: { value: '200' },
    });

    const everything = parse([...bulk, early, ...live]);
    const before = await changeLogRows();
    const dry = await importCognitoExport(database, {
      identityPoolId: pool,
      records: everything,
      dryRun: true,
    });
    expect(await changeLogRows()).toBe(before);
    const summary = await importCognitoExport(database, {
      identityPoolId: pool,
      records: everything,
    });
    expect(dry).toEqual({ ...summary, dryRun: true });
    expect(summary).toEqual({
      dryRun: false,
      identitiesCreated: 0,
      datasetsWritten: 2,
      recordsWritten: 5, // a/settings: theme, lang; b/todo: a, b, c
      datasetsDeleted: 1,
      datasetsUnchanged: 1,
      skipped: [],
      failed: [],
    });
    expect(await stored(database, a, 'settings')).toMatchObject({
      records: {
        theme: { value: 'blue', device: T + 42 },
        lang: { value: null },
      },
    });
    expect(await stored(database, a, 'scores')).toMatchObject({ exists: false, records: {} });
    expect((await stored(database, b, 'todo')).records).toMatchObject({
      a: { value: null },
      b: { value: 'ham' },
      c: { value: 'bread' },
    });
    expect(await changeLogRows()).toBe(before + 3);
  });

  it('refuses records of another pool unless remapPool, and keeps the identity ids', async () => {
    const pool = await newPool();
    const [a, b] = twoIdentities();
    const { bulk } = fixture(AWS_POOL, a, b);
    const records = parse(bulk);
    const refusal = importCognitoExport(database, { identityPoolId: pool, records });
    await expect(refusal).rejects.toBeInstanceOf(SyncError);
    await expect(refusal).rejects.toMatchObject({
      kind: 'InvalidParameterException',
      message: expect.stringContaining(AWS_POOL),
    });
    expect(await findIdentityById(database.db, a)).toBeNull();

    const summary = await importCognitoExport(database, {
      identityPoolId: pool,
      records,
      remapPool: true,
    });
    expect(summary).toMatchObject({ identitiesCreated: 2, datasetsWritten: 4, failed: [] });
    expect(await findIdentityById(database.db, a)).toMatchObject({ identityPoolId: pool });

    // The same identity ids cannot land in yet another pool.
    const third = await newPool();
    const elsewhere = await importCognitoExport(database, {
      identityPoolId: third,
      records,
      remapPool: true,
    });
    expect(elsewhere.identitiesCreated).toBe(0);
    expect(elsewhere.failed).toHaveLength(4);
    expect(elsewhere.failed[0]).toMatchObject({
      identityId: expect.any(String),
      error: 'InvalidParameterException',
      message: expect.stringContaining('another identity pool'),
    });
  });

  it('reports datasets over the limits as failed and imports the others', async () => {
    const pool = await newPool();
    const [a, b] = twoIdentities();
    const tooMany = Array.from({ length: 1025 }, (_, i) => ({
      key: `k${i}`,
      value: 'v',
      syncCount: 1,
    }));
    const huge = [
      { key: 'a', value: 'x'.repeat(600_000), syncCount: 1 },
      { key: 'b', value: 'y'.repeat(600_000), syncCount: 1 },
    ];
    const records = parse([
      streamRecord(pool, a, 'big', 1, tooMany),
      streamRecord(pool, a, 'heavy', 1, huge),
      streamRecord(pool, a, 'fine', 1, [{ key: 'k', value: 'v', syncCount: 1 }]),
      // 21 datasets: the last (by name) is over the per-identity limit.
      ...Array.from({ length: 21 }, (_, i) =>
        streamRecord(pool, b, `ds${String(i).padStart(2, '0')}`, 1, [
          { key: 'k', value: String(i), syncCount: 1 },
        ]),
      ),
      streamRecord(pool, b, 'bad/name', 1, [{ key: 'k', value: 'v', syncCount: 1 }]),
    ]);
    const dry = await importCognitoExport(database, {
      identityPoolId: pool,
      records,
      dryRun: true,
    });
    const summary = await importCognitoExport(database, { identityPoolId: pool, records });
    expect(dry).toEqual({ ...summary, dryRun: true });
    expect(summary.datasetsWritten).toBe(21);
    expect(
      summary.failed.map((f) => [f.identityId === a ? 'a' : 'b', f.datasetName, f.error]),
    ).toEqual([
      ['a', 'big', 'LimitExceededException'],
      ['a', 'heavy', 'LimitExceededException'],
      ['b', 'bad/name', 'InvalidParameterException'],
      ['b', 'ds20', 'LimitExceededException'],
    ]);
    expect(summary.failed[0]?.message).toMatch(/at most 1024 records/);
    expect(summary.failed[3]?.message).toMatch(/at most 20 datasets/);
    expect((await stored(database, a, 'fine')).records).toMatchObject({ k: { value: 'v' } });
    expect((await stored(database, a, 'big')).exists).toBe(false);
    expect((await stored(database, b, 'ds19')).records).toMatchObject({ k: { value: '19' } });
    expect((await stored(database, b, 'ds20')).exists).toBe(false);
  });

  it("re-imports Tandem's own stream records (the postgres sink's format)", async () => {
    // Writes on one Tandem server...
    const sourcePool = await newPool();
    const device = await getOrCreateIdentity(database.db, {
      identityPoolId: sourcePool,
      userId: `user-${randomUUID()}`,
      authenticated: false,
    });
    const writer = { source: 'identity', lastModifiedBy: device.id, deviceId: 'phone' } as const;
    const write = (datasetName: string, patches: Parameters<typeof updateRecords>[1]['patches']) =>
      updateRecords(database, {
        identityPoolId: sourcePool,
        identityId: device.id,
        datasetName,
        patches,
        writer,
      });
    await write('profile', [
      { op: 'replace', key: 'name', value: 'Ada', syncCount: 0, deviceLastModifiedDate: T + 1 },
      { op: 'replace', key: 'city', value: 'Paris', syncCount: 0 },
    ]);
    await write('profile', [
      { op: 'remove', key: 'city', syncCount: 1 },
      { op: 'replace', key: 'name', value: 'Ada L.', syncCount: 1, deviceLastModifiedDate: T + 2 },
    ]);
    await write('draft', [{ op: 'replace', key: 'x', value: '1', syncCount: 0 }]);
    await deleteDataset(database.db, {
      identityPoolId: sourcePool,
      identityId: device.id,
      datasetName: 'draft',
      writer,
    });
    // ...exported as the stream records the worker builds from the change log...
    const changes = await database.db
      .select()
      .from(schema.changeLog)
      .where(eq(schema.changeLog.identityPoolId, sourcePool))
      .orderBy(asc(schema.changeLog.id));
    const exported = changes.map((c) => toStreamRecord(c));
    expect(exported.map((r) => r.operation)).toEqual(['replace', 'replace', 'replace', 'remove']);

    // ...and imported into another server's pool.
    other = await createTestDatabase();
    const target = await newPool(other);
    const records = parse(exported);
    const summary = await importCognitoExport(other, {
      identityPoolId: target,
      records,
      remapPool: true,
    });
    expect(summary).toMatchObject({
      identitiesCreated: 1,
      datasetsWritten: 1,
      recordsWritten: 1, // name (city's tombstone needs no write on a new dataset)
      datasetsUnchanged: 1, // draft: deleted
      failed: [],
    });
    expect(await stored(other, device.id, 'profile')).toEqual({
      exists: true,
      records: { name: { value: 'Ada L.', device: T + 2 } },
      lastModifiedBy: 'import',
    });
    expect((await stored(other, device.id, 'draft')).exists).toBe(false);
    expect(await findIdentityById(other.db, device.id)).toMatchObject({
      identityPoolId: target,
      userId: `aws-guest:import:${device.id}`,
    });
  });
});
