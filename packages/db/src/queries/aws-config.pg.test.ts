/** The AWS labels of a pool and the version check behind ConcurrentModificationException. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { getAwsPoolLabels, setAwsPoolLabels } from './aws-config.js';
import { createIdentityPool, updateIdentityPool } from './identity-pool.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

test('labels are saved only at the version they were read at', async () => {
  const pool = await createIdentityPool(database.db, {
    name: 'p',
    allowUnauthenticated: true,
    region: 'local-1',
  });
  const first = await getAwsPoolLabels(database.db, pool.id);
  expect(first.labels).toEqual({});
  const events = { events: { SyncTrigger: 'arn:aws:lambda:us-east-1:1:function:f' } };
  expect(
    await setAwsPoolLabels(database.db, {
      identityPoolId: pool.id,
      expectedVersion: first.configVersion,
      labels: events,
    }),
  ).toBe(true);
  // A second writer that read the same version loses: the caller answers
  // ConcurrentModificationException and nothing of its change is kept.
  expect(
    await setAwsPoolLabels(database.db, {
      identityPoolId: pool.id,
      expectedVersion: first.configVersion,
      labels: { pushSync: { applicationArns: [], roleArn: null } },
    }),
  ).toBe(false);
  // Any other configuration change (e.g. in the console) also moves the version.
  const second = await getAwsPoolLabels(database.db, pool.id);
  expect(second.labels).toEqual(events);
  await updateIdentityPool(database.db, { id: pool.id, name: 'renamed' });
  expect(
    await setAwsPoolLabels(database.db, {
      identityPoolId: pool.id,
      expectedVersion: second.configVersion,
      labels: {},
    }),
  ).toBe(false);
});
