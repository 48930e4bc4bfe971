/**
 * The unmodified AWS SDK v3 Cognito Sync client, pointed at Tandem (issue 7): every operation,
 * conflicts, pagination, delete and re-create, limits and error shapes, and the same data the
 * tRPC API sees.
 */
import {
  BulkPublishCommand,
  DeleteDatasetCommand,
  DescribeDatasetCommand,
  DescribeIdentityPoolUsageCommand,
  DescribeIdentityUsageCommand,
  GetBulkPublishDetailsCommand,
  GetCognitoEventsCommand,
  GetIdentityPoolConfigurationCommand,
  ListDatasetsCommand,
  ListIdentityPoolUsageCommand,
  ListRecordsCommand,
  RegisterDeviceCommand,
  SetCognitoEventsCommand,
  SetIdentityPoolConfigurationCommand,
  SubscribeToDatasetCommand,
  UnsubscribeFromDatasetCommand,
  UpdateRecordsCommand,
  type CognitoSyncClient,
} from '@aws-sdk/client-cognito-sync';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, uniqueEmail, type Harness, type TestUser } from '../testing/harness.js';
import {
  awsErrorOf,
  developerKeys,
  identityCredentials,
  syncClient,
  type AwsKeys,
} from './testing.js';

let h: Harness;
let poolId: string;
let user: TestUser;
let identityId: string;
let client: CognitoSyncClient;
let developer: CognitoSyncClient;
const clients: CognitoSyncClient[] = [];

beforeAll(async () => {
  h = await startHarness();
  poolId = await h.pool();
  user = await h.signUp();
  const credentials = await identityCredentials(h, poolId, user.token);
  identityId = credentials.identityId;
  client = syncClient(h, credentials.keys);
  developer = syncClient(h, await developerKeys(h, poolId));
  clients.push(client, developer);
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await h?.close();
});

const scope = (datasetName: string) => ({
  IdentityPoolId: poolId,
  IdentityId: identityId,
  DatasetName: datasetName,
});

/** ListRecords then UpdateRecords, as every client does. */
async function push(
  c: CognitoSyncClient,
  datasetName: string,
  patches: Array<{ Op: 'replace' | 'remove'; Key: string; Value?: string; SyncCount: number }>,
  target = scope(datasetName),
) {
  const pulled = await c.send(new ListRecordsCommand({ ...target, DatasetName: datasetName }));
  return c.send(
    new UpdateRecordsCommand({
      ...target,
      DatasetName: datasetName,
      SyncSessionToken: pulled.SyncSessionToken,
      DeviceId: 'device-1',
      RecordPatches: patches.map((p) => ({
        ...p,
        DeviceLastModifiedDate: new Date(1_704_164_645_678),
      })),
    }),
  );
}

describe('records', () => {
  test('a new dataset reads as absent, with a session token', async () => {
    const page = await client.send(new ListRecordsCommand(scope('fresh')));
    expect(page).toMatchObject({
      Count: 0,
      Records: [],
      DatasetExists: false,
      DatasetSyncCount: 0,
      DatasetDeletedAfterRequestedSyncCount: false,
    });
    expect(page.SyncSessionToken).toBeTruthy();
  });

  test('write, read back with dates as Dates, and the tRPC API sees the same records', async () => {
    const written = await push(client, 'settings', [
      { Op: 'replace', Key: 'theme', Value: 'dark', SyncCount: 0 },
      { Op: 'replace', Key: 'grüße', Value: '日本 🎌', SyncCount: 0 },
    ]);
    expect(written.Records?.map((r) => `${r.Key}=${r.Value}@${r.SyncCount}`).sort()).toEqual([
      'grüße=日本 🎌@1',
      'theme=dark@1',
    ]);
    const page = await client.send(
      new ListRecordsCommand({ ...scope('settings'), LastSyncCount: 0 }),
    );
    expect(page.DatasetSyncCount).toBe(1);
    expect(page.DatasetExists).toBe(true);
    const theme = page.Records!.find((r) => r.Key === 'theme')!;
    expect(theme.LastModifiedDate).toBeInstanceOf(Date);
    expect(theme.DeviceLastModifiedDate?.getTime()).toBe(1_704_164_645_678);
    expect(theme.LastModifiedBy).toBe('device-1');

    const viaTrpc = await user.client.record.list.query({
      identityPoolId: poolId,
      datasetName: 'settings',
    });
    expect(
      viaTrpc.records.map((r) => ({
        key: r.key,
        value: r.value,
        syncCount: r.syncCount,
        at: r.lastModifiedDate,
      })),
    ).toEqual(
      page.Records!.map((r) => ({
        key: r.Key,
        value: r.Value,
        syncCount: r.SyncCount,
        at: r.LastModifiedDate!.getTime(),
      })),
    );
  });

  test('a stale sync count is a 409 with the spec message, and nothing is written', async () => {
    await push(client, 'conflicts', [{ Op: 'replace', Key: 'score', Value: '1', SyncCount: 0 }]);
    const error = await awsErrorOf(
      push(client, 'conflicts', [{ Op: 'replace', Key: 'score', Value: '2', SyncCount: 0 }]),
    );
    expect(error).toEqual({
      name: 'ResourceConflictException',
      status: 409,
      message: 'Current SyncCount for: score is: 1 not: 0',
    });
    const page = await client.send(new ListRecordsCommand(scope('conflicts')));
    expect(page.Records!.map((r) => r.Value)).toEqual(['1']);
  });

  test('pages follow NextToken; removes come back as tombstones', async () => {
    const patches = Array.from({ length: 7 }, (_, i) => ({
      Op: 'replace' as const,
      Key: `k${i}`,
      Value: `v${i}`,
      SyncCount: 0,
    }));
    await push(client, 'paged', patches);
    await push(client, 'paged', [{ Op: 'remove', Key: 'k3', SyncCount: 1 }]);
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(
        new ListRecordsCommand({
          ...scope('paged'),
          MaxResults: 3,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      pages += 1;
      expect(page.Count).toBe(page.Records!.length);
      seen.push(...page.Records!.map((r) => `${r.Key}=${r.Value ?? '∅'}@${r.SyncCount}`));
      nextToken = page.NextToken;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(
      ['k0', 'k1', 'k2', 'k4', 'k5', 'k6']
        .map((k) => `${k}=v${k.slice(1)}@1`)
        .concat('k3=∅@2')
        .sort(),
    );
  });

  test('datasets: describe, list, usage, delete, and a re-creation the old sync count notices', async () => {
    await push(client, 'notes', [{ Op: 'replace', Key: 'a', Value: 'b', SyncCount: 0 }]);
    const { Dataset } = await client.send(new DescribeDatasetCommand(scope('notes')));
    expect(Dataset).toMatchObject({
      DatasetName: 'notes',
      IdentityId: identityId,
      NumRecords: 1,
      DataStorage: 2,
    });
    expect(Dataset!.CreationDate).toBeInstanceOf(Date);
    const listed = await client.send(
      new ListDatasetsCommand({ IdentityPoolId: poolId, IdentityId: identityId }),
    );
    expect(listed.Datasets!.map((d) => d.DatasetName)).toContain('notes');
    expect(listed.Count).toBe(listed.Datasets!.length);
    const usage = await client.send(
      new DescribeIdentityUsageCommand({ IdentityPoolId: poolId, IdentityId: identityId }),
    );
    expect(usage.IdentityUsage).toMatchObject({ IdentityId: identityId, IdentityPoolId: poolId });
    expect(usage.IdentityUsage!.DatasetCount).toBe(listed.Datasets!.length);

    const deleted = await client.send(new DeleteDatasetCommand(scope('notes')));
    expect(deleted.Dataset?.DatasetName).toBe('notes');
    expect((await awsErrorOf(client.send(new DescribeDatasetCommand(scope('notes'))))).name).toBe(
      'ResourceNotFoundException',
    );
    expect((await awsErrorOf(client.send(new DeleteDatasetCommand(scope('notes'))))).status).toBe(
      404,
    );
    await push(client, 'notes', [{ Op: 'replace', Key: 'a', Value: 'again', SyncCount: 0 }]);
    const after = await client.send(
      new ListRecordsCommand({ ...scope('notes'), LastSyncCount: 1 }),
    );
    expect(after.DatasetDeletedAfterRequestedSyncCount).toBe(true);
    expect(after.Records!.map((r) => r.Value)).toEqual(['again']);
  });

  test('limits are enforced: a 21st dataset and a 1,025th record are refused', async () => {
    const { identityId: otherId, keys } = await identityCredentials(
      h,
      poolId,
      (await h.signUp()).token,
    );
    const other = syncClient(h, keys);
    clients.push(other);
    const target = (name: string) => ({
      IdentityPoolId: poolId,
      IdentityId: otherId,
      DatasetName: name,
    });
    for (let i = 0; i < 20; i += 1) {
      await push(
        other,
        `ds${i}`,
        [{ Op: 'replace', Key: 'k', Value: 'v', SyncCount: 0 }],
        target(`ds${i}`),
      );
    }
    const tooMany = await awsErrorOf(
      push(other, 'ds20', [{ Op: 'replace', Key: 'k', Value: 'v', SyncCount: 0 }], target('ds20')),
    );
    expect(tooMany).toMatchObject({ name: 'LimitExceededException', status: 400 });
    const big = Array.from({ length: 1025 }, (_, i) => ({
      Op: 'replace' as const,
      Key: `r${i}`,
      Value: 'x',
      SyncCount: 0,
    }));
    const tooBig = await awsErrorOf(push(other, 'ds0', big, target('ds0')));
    expect(tooBig.status).toBe(400);
    expect(['LimitExceededException', 'InvalidParameterException']).toContain(tooBig.name);
  });
});

describe('merges', () => {
  test("a guest who signs in: the account's dataset reports the merged one, which reads and deletes like any other", async () => {
    const email = uniqueEmail();
    const account = await h.signUp(email);
    const mine = await identityCredentials(h, poolId, account.token);
    const mineClient = syncClient(h, mine.keys);
    clients.push(mineClient);
    const target = (name: string) => ({
      IdentityPoolId: poolId,
      IdentityId: mine.identityId,
      DatasetName: name,
    });
    await push(
      mineClient,
      'notes',
      [{ Op: 'replace', Key: 'shopping', Value: 'milk', SyncCount: 0 }],
      target('notes'),
    );

    // The same person, on another device, as a guest through the AWS credential endpoint.
    const guest = await h.guest();
    const asGuest = await identityCredentials(h, poolId, guest.token);
    const guestClient = syncClient(h, asGuest.keys);
    clients.push(guestClient);
    await push(
      guestClient,
      'notes',
      [{ Op: 'replace', Key: 'todo', Value: 'call mum', SyncCount: 0 }],
      {
        IdentityPoolId: poolId,
        IdentityId: asGuest.identityId,
        DatasetName: 'notes',
      },
    );
    await h.signIn(email, undefined, guest.token);

    const merged = `notes.${asGuest.identityId}`;
    const page = await mineClient.send(new ListRecordsCommand(target('notes')));
    expect(page.MergedDatasetNames).toEqual([merged]);
    const mergedPage = await mineClient.send(new ListRecordsCommand(target(merged)));
    expect(mergedPage.Records!.map((r) => [r.Key, r.Value])).toEqual([['todo', 'call mum']]);
    await mineClient.send(new DeleteDatasetCommand(target(merged)));
    expect(
      (await mineClient.send(new ListRecordsCommand(target('notes')))).MergedDatasetNames ?? [],
    ).toEqual([]);
    // The guest's old credentials now name an identity that was merged away.
    expect(
      (
        await awsErrorOf(
          guestClient.send(
            new ListDatasetsCommand({ IdentityPoolId: poolId, IdentityId: asGuest.identityId }),
          ),
        )
      ).name,
    ).toBe('NotAuthorizedException');
  });
});

describe('who may call what', () => {
  test("another identity's data is refused with NotAuthorizedException", async () => {
    const other = await identityCredentials(h, poolId, (await h.signUp()).token);
    const error = await awsErrorOf(
      client.send(
        new ListRecordsCommand({
          IdentityPoolId: poolId,
          IdentityId: other.identityId,
          DatasetName: 'settings',
        }),
      ),
    );
    expect(error).toMatchObject({ name: 'NotAuthorizedException', status: 403 });
    const otherPool = await h.pool();
    expect(
      (
        await awsErrorOf(
          client.send(
            new ListDatasetsCommand({ IdentityPoolId: otherPool, IdentityId: identityId }),
          ),
        )
      ).name,
    ).toBe('NotAuthorizedException');
  });

  test('pool-level operations need developer credentials', async () => {
    const error = await awsErrorOf(
      client.send(new DescribeIdentityPoolUsageCommand({ IdentityPoolId: poolId })),
    );
    expect(error).toMatchObject({ name: 'NotAuthorizedException', status: 403 });
  });

  test('developer credentials act on any identity of their pool, as an administrator, and skip devices', async () => {
    const page = await developer.send(new ListRecordsCommand(scope('settings')));
    expect(page.Records!.length).toBeGreaterThan(0);
    const written = await push(developer, 'from-server', [
      { Op: 'replace', Key: 'k', Value: 'v', SyncCount: 0 },
    ]);
    expect(written.Records![0]!.LastModifiedBy).toMatch(/^admin:developer-key:TKDV/);
    const viaTrpc = await user.client.record.list.query({
      identityPoolId: poolId,
      datasetName: 'from-server',
    });
    expect(viaTrpc.records.map((r) => r.value)).toEqual(['v']);
    const refused = await awsErrorOf(
      developer.send(
        new RegisterDeviceCommand({
          IdentityPoolId: poolId,
          IdentityId: identityId,
          Platform: 'GCM',
          Token: 't',
        }),
      ),
    );
    expect(refused.name).toBe('NotAuthorizedException');
    const otherPool = await h.pool();
    expect(
      (
        await awsErrorOf(
          developer.send(new DescribeIdentityPoolUsageCommand({ IdentityPoolId: otherPool })),
        )
      ).name,
    ).toBe('NotAuthorizedException');
  });
});

describe('sync trigger', () => {
  test('identity writes run it (its errors arrive as Cognito errors); developer writes skip it', async () => {
    const admin = await h.admin();
    // Upper-cases every value written; refuses the value "forbidden".
    const source = `export default (event) => {
      for (const [key, record] of Object.entries(event.datasetRecords)) {
        if (record.newValue === 'forbidden') throw new Error('refused');
        if (record.op === 'replace' && record.newValue) record.newValue = record.newValue.toUpperCase();
      }
      return event;
    }`;
    await admin.client.admin.identityPool.setSyncTrigger.mutate({
      identityPoolId: poolId,
      syncTrigger: { enabled: true, target: { kind: 'function', source } },
    });
    try {
      const byIdentity = await push(client, 'triggered', [
        { Op: 'replace', Key: 'greeting', Value: 'hello', SyncCount: 0 },
      ]);
      expect(byIdentity.Records!.map((r) => r.Value)).toEqual(['HELLO']);
      const refused = await awsErrorOf(
        push(client, 'triggered', [
          { Op: 'replace', Key: 'greeting', Value: 'forbidden', SyncCount: 1 },
        ]),
      );
      expect(refused).toMatchObject({ name: 'InvalidLambdaFunctionOutputException', status: 400 });
      // A trigger that outlives its budget: LambdaSocketTimeoutException, nothing written.
      await admin.client.admin.identityPool.setSyncTrigger.mutate({
        identityPoolId: poolId,
        syncTrigger: {
          enabled: true,
          target: { kind: 'function', source: 'export default () => new Promise(() => {})' },
        },
      });
      const late = await awsErrorOf(
        push(client, 'triggered', [
          { Op: 'replace', Key: 'greeting', Value: 'late', SyncCount: 1 },
        ]),
      );
      expect(late.name).toBe('LambdaSocketTimeoutException');
      const byDeveloper = await push(developer, 'triggered', [
        { Op: 'replace', Key: 'greeting', Value: 'quiet', SyncCount: 1 },
      ]);
      expect(byDeveloper.Records!.map((r) => r.Value)).toEqual(['quiet']);
    } finally {
      await admin.client.admin.identityPool.setSyncTrigger.mutate({
        identityPoolId: poolId,
        syncTrigger: null,
      });
    }
  });
});

describe('pool operations (developer credentials)', () => {
  test('usage', async () => {
    const { IdentityPoolUsage } = await developer.send(
      new DescribeIdentityPoolUsageCommand({ IdentityPoolId: poolId }),
    );
    expect(IdentityPoolUsage).toMatchObject({ IdentityPoolId: poolId });
    expect(IdentityPoolUsage!.DataStorage).toBeGreaterThan(0);
    expect(IdentityPoolUsage!.LastModifiedDate).toBeInstanceOf(Date);
    const list = await developer.send(new ListIdentityPoolUsageCommand({ MaxResults: 10 }));
    expect(list).toMatchObject({ Count: 1, MaxResults: 10 });
    expect(list.IdentityPoolUsages!.map((u) => u.IdentityPoolId)).toEqual([poolId]);
  });

  test('configuration: push sync and streams set, read back and cleared', async () => {
    const fresh = await developer.send(
      new GetIdentityPoolConfigurationCommand({ IdentityPoolId: poolId }),
    );
    expect(fresh.IdentityPoolId).toBe(poolId);
    expect(fresh.PushSync).toBeUndefined();
    expect(fresh.CognitoStreams).toBeUndefined();
    const pushSync = {
      ApplicationArns: ['arn:aws:sns:us-east-1:123456789012:app/GCM/my-app'],
      RoleArn: 'arn:aws:iam::123456789012:role/push',
    };
    const set = await developer.send(
      new SetIdentityPoolConfigurationCommand({
        IdentityPoolId: poolId,
        PushSync: pushSync,
        CognitoStreams: {
          StreamName: 'my-stream',
          RoleArn: 'arn:aws:iam::123456789012:role/streams',
          StreamingStatus: 'ENABLED',
        },
      }),
    );
    expect(set.PushSync).toEqual(pushSync);
    expect(set.CognitoStreams).toEqual({
      StreamName: 'my-stream',
      RoleArn: 'arn:aws:iam::123456789012:role/streams',
      StreamingStatus: 'ENABLED',
    });
    // Tandem itself now streams this pool's changes (the built-in sink).
    const settings = await (
      await h.admin()
    ).client.admin.identityPool.settings.query({ identityPoolId: poolId });
    expect(settings.streams).toMatchObject({ enabled: true, sink: { kind: 'postgres' } });

    const disabled = await developer.send(
      new SetIdentityPoolConfigurationCommand({
        IdentityPoolId: poolId,
        CognitoStreams: { StreamingStatus: 'DISABLED' },
      }),
    );
    expect(disabled.CognitoStreams?.StreamingStatus).toBe('DISABLED');
    expect(disabled.PushSync).toEqual(pushSync); // absent = unchanged
    const cleared = await developer.send(
      new SetIdentityPoolConfigurationCommand({ IdentityPoolId: poolId, PushSync: {} }),
    );
    expect(cleared.PushSync).toBeUndefined();

    const badArn = await awsErrorOf(
      developer.send(
        new SetIdentityPoolConfigurationCommand({
          IdentityPoolId: poolId,
          PushSync: { RoleArn: 'not-an-arn' },
        }),
      ),
    );
    expect(badArn).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(badArn.message).toMatch(/validation error detected/);
  });

  test('events: set, merge, clear with an empty string', async () => {
    expect(
      (await developer.send(new GetCognitoEventsCommand({ IdentityPoolId: poolId }))).Events,
    ).toEqual({});
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:trigger';
    await developer.send(
      new SetCognitoEventsCommand({ IdentityPoolId: poolId, Events: { SyncTrigger: arn } }),
    );
    expect(
      (await developer.send(new GetCognitoEventsCommand({ IdentityPoolId: poolId }))).Events,
    ).toEqual({ SyncTrigger: arn });
    await developer.send(
      new SetCognitoEventsCommand({ IdentityPoolId: poolId, Events: { SyncTrigger: '' } }),
    );
    expect(
      (await developer.send(new GetCognitoEventsCommand({ IdentityPoolId: poolId }))).Events,
    ).toEqual({});
  });

  test('bulk publish: refused while streaming is off, then runs', async () => {
    const pool = await h.pool();
    const keys = await developerKeys(h, pool);
    const dev = syncClient(h, keys);
    clients.push(dev);
    expect(
      (await dev.send(new GetBulkPublishDetailsCommand({ IdentityPoolId: pool })))
        .BulkPublishStatus,
    ).toBe('NOT_STARTED');
    const refused = await awsErrorOf(dev.send(new BulkPublishCommand({ IdentityPoolId: pool })));
    expect(refused.status).toBe(400);
    await dev.send(
      new SetIdentityPoolConfigurationCommand({
        IdentityPoolId: pool,
        CognitoStreams: { StreamName: 's', StreamingStatus: 'ENABLED' },
      }),
    );
    expect(await dev.send(new BulkPublishCommand({ IdentityPoolId: pool }))).toMatchObject({
      IdentityPoolId: pool,
    });
    const details = await dev.send(new GetBulkPublishDetailsCommand({ IdentityPoolId: pool }));
    expect(['IN_PROGRESS', 'SUCCEEDED']).toContain(details.BulkPublishStatus);
    expect(details.BulkPublishStartTime).toBeInstanceOf(Date);
    expect(
      (await awsErrorOf(dev.send(new BulkPublishCommand({ IdentityPoolId: pool })))).name,
    ).toMatch(/DuplicateRequestException|AlreadyStreamedException/);
  });
});

describe('devices', () => {
  test('register, subscribe, unsubscribe (identity credentials)', async () => {
    const { DeviceId } = await client.send(
      new RegisterDeviceCommand({
        IdentityPoolId: poolId,
        IdentityId: identityId,
        Platform: 'GCM',
        Token: 'fcm-token',
      }),
    );
    expect(DeviceId).toBeTruthy();
    await client.send(new SubscribeToDatasetCommand({ ...scope('settings'), DeviceId }));
    const devices = await user.client.device.list.query({ identityPoolId: poolId });
    expect(devices.devices.find((d) => d.deviceId === DeviceId)).toBeDefined();
    await client.send(new UnsubscribeFromDatasetCommand({ ...scope('settings'), DeviceId }));
    const again = await awsErrorOf(
      client.send(new UnsubscribeFromDatasetCommand({ ...scope('settings'), DeviceId })),
    );
    expect(again.name).toBe('ResourceNotFoundException');
  });
});

describe('error shapes', () => {
  test('malformed ids are InvalidParameterException with Coral-style text', async () => {
    const error = await awsErrorOf(
      client.send(new ListDatasetsCommand({ IdentityPoolId: 'INVALID', IdentityId: identityId })),
    );
    expect(error).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(error.message).toMatch(
      /^1 validation error detected: Value 'INVALID' at 'identityPoolId'/,
    );
  });

  test('a missing SyncSessionToken is InvalidParameterException', async () => {
    const error = await awsErrorOf(
      client.send(new UpdateRecordsCommand({ ...scope('settings'), RecordPatches: [] } as never)),
    );
    expect(error).toMatchObject({ name: 'InvalidParameterException', status: 400 });
  });

  test('a wrong secret is a signature mismatch; an unknown key is unrecognised', async () => {
    const wrong = syncClient(h, {
      accessKeyId: (await developerKeys(h, poolId)).accessKeyId,
      secretAccessKey: 'x'.repeat(40),
    });
    clients.push(wrong);
    expect(
      await awsErrorOf(
        wrong.send(new DescribeIdentityPoolUsageCommand({ IdentityPoolId: poolId })),
      ),
    ).toMatchObject({
      name: 'InvalidSignatureException',
      status: 403,
    });
    const unknown = syncClient(h, {
      accessKeyId: 'TKDVAAAAAAAAAAAAAAAA',
      secretAccessKey: 'x'.repeat(40),
    } satisfies AwsKeys);
    clients.push(unknown);
    expect(
      (
        await awsErrorOf(
          unknown.send(new DescribeIdentityPoolUsageCommand({ IdentityPoolId: poolId })),
        )
      ).name,
    ).toBe('UnrecognizedClientException');
  });
});
