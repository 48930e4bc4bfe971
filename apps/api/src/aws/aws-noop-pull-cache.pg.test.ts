/**
 * With the no-op pull cache on (SESSION_CACHE_TTL_MS > 0, as in production), a repeated empty
 * ListRecords over the AWS API is answered from memory, yet never hides a change: any write to
 * the identity drops the remembered answer at once, and the signature is still checked.
 */
import { ListRecordsCommand, UpdateRecordsCommand } from '@aws-sdk/client-cognito-sync';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, type Harness } from '../testing/harness.js';
import { awsErrorOf, identityCredentials, syncClient } from './testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ SESSION_CACHE_TTL_MS: '60000' });
});
afterAll(() => h?.close());

test('a remembered empty pull is dropped by the next write of the identity', async () => {
  const poolId = await h.pool();
  const user = await h.signUp();
  const deviceA = await identityCredentials(h, poolId, user.token);
  const deviceB = await identityCredentials(h, poolId, user.token);
  const a = syncClient(h, deviceA.keys);
  const b = syncClient(h, deviceB.keys);
  const scope = { IdentityPoolId: poolId, IdentityId: deviceA.identityId, DatasetName: 'notes' };
  try {
    const first = await b.send(new ListRecordsCommand(scope));
    await b.send(
      new UpdateRecordsCommand({
        ...scope,
        SyncSessionToken: first.SyncSessionToken,
        RecordPatches: [{ Op: 'replace', Key: 'k', Value: 'v1', SyncCount: 0 }],
      }),
    );
    // A is up to date: its pulls at sync count 1 are empty, the second one from memory.
    const empty1 = await a.send(new ListRecordsCommand({ ...scope, LastSyncCount: 1 }));
    const empty2 = await a.send(new ListRecordsCommand({ ...scope, LastSyncCount: 1 }));
    expect(empty1.Records).toEqual([]);
    // The same token: the remembered answer (a computed one carries a new token).
    expect(empty2.SyncSessionToken).toBe(empty1.SyncSessionToken);

    // B writes; A's very next identical pull sees it.
    await b.send(
      new UpdateRecordsCommand({
        ...scope,
        SyncSessionToken: first.SyncSessionToken,
        RecordPatches: [{ Op: 'replace', Key: 'k', Value: 'v2', SyncCount: 1 }],
      }),
    );
    const after = await a.send(new ListRecordsCommand({ ...scope, LastSyncCount: 1 }));
    expect(after.Records?.map((r) => r.Value)).toEqual(['v2']);
    expect(after.DatasetSyncCount).toBe(2);

    // A remembered answer is never given to a request whose signature does not check out.
    const forged = syncClient(h, { ...deviceA.keys, secretAccessKey: 'x'.repeat(40) });
    const refused = await awsErrorOf(
      forged.send(new ListRecordsCommand({ ...scope, LastSyncCount: 2 })),
    );
    expect(refused.name).toBe('InvalidSignatureException');
    forged.destroy();
  } finally {
    a.destroy();
    b.destroy();
  }
});
