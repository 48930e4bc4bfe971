/**
 * Guest then sign-in (spec §7.8): a guest's data survives signing in. Where the account
 * already had an identity in the pool, the guest's datasets become `<name>.<guestIdentityId>`
 * on it and ListRecords of `<name>` reports them in MergedDatasetNames; where it had none, the
 * guest identity simply becomes the account's.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorOf, startHarness, syncOnce, uniqueEmail, type Harness } from './testing/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

test('a guest signing in to an account that has an identity is merged into it, keeping all data', async () => {
  const identityPoolId = await h.pool();
  const email = uniqueEmail();
  const account = await h.signUp(email);
  const { identityId: accountIdentity } = await account.client.identity.getId.mutate({
    identityPoolId,
  });
  await syncOnce(account.client, { identityPoolId, datasetName: 'notes' }, [
    { op: 'replace', key: 'shopping', value: 'milk', syncCount: 0 },
  ]);

  // On another device, the same person started as a guest.
  const guest = await h.guest();
  const guestIdentity = await guest.client.identity.getId.mutate({ identityPoolId });
  expect(guestIdentity.authenticated).toBe(false);
  await syncOnce(guest.client, { identityPoolId, datasetName: 'notes' }, [
    { op: 'replace', key: 'todo', value: 'call mum', syncCount: 0 },
  ]);
  await syncOnce(guest.client, { identityPoolId, datasetName: 'prefs' }, [
    { op: 'replace', key: 'theme', value: 'dark', syncCount: 0 },
    { op: 'replace', key: 'gone', value: 'x', syncCount: 0 },
  ]);
  const prefs = await guest.client.record.list.query({ identityPoolId, datasetName: 'prefs' });
  await guest.client.record.update.mutate({
    identityPoolId,
    datasetName: 'prefs',
    syncSessionToken: prefs.syncSessionToken,
    recordPatches: [{ op: 'remove', key: 'gone', syncCount: 1 }],
  });

  // The guest signs in with its guest session: better-auth links, Tandem merges.
  const signedIn = await h.signIn(email, undefined, guest.token);
  expect(signedIn.userId).toBe(account.userId);
  const after = await signedIn.client.identity.getId.mutate({ identityPoolId });
  expect(after).toMatchObject({ identityId: accountIdentity, authenticated: true });

  const notesName = `notes.${guestIdentity.identityId}`;
  const prefsName = `prefs.${guestIdentity.identityId}`;
  const notes = await signedIn.client.record.list.query({ identityPoolId, datasetName: 'notes' });
  expect(notes.mergedDatasetNames).toEqual([notesName]);
  expect(notes.records.map((r) => [r.key, r.value])).toEqual([['shopping', 'milk']]);

  const mergedNotes = await signedIn.client.record.list.query({
    identityPoolId,
    datasetName: notesName,
  });
  expect(mergedNotes.records.map((r) => [r.key, r.value])).toEqual([['todo', 'call mum']]);
  const mergedPrefs = await signedIn.client.record.list.query({
    identityPoolId,
    datasetName: prefsName,
  });
  // Live records move; the guest's tombstones do not (nothing on the survivor ever had them).
  expect(mergedPrefs.records.map((r) => [r.key, r.value])).toEqual([['theme', 'dark']]);
  // A merged dataset of a base the survivor lacked is still reported on that base.
  const prefsBase = await signedIn.client.record.list.query({
    identityPoolId,
    datasetName: 'prefs',
  });
  expect(prefsBase).toMatchObject({ datasetExists: false, mergedDatasetNames: [prefsName] });

  const datasets = await signedIn.client.dataset.list.query({ identityPoolId });
  expect(datasets.datasets.map((d) => d.datasetName).sort()).toEqual(
    ['notes', notesName, prefsName].sort(),
  );

  // The device copies what it needs, then deletes the merged dataset: the merge is no longer reported.
  await signedIn.client.dataset.delete.mutate({ identityPoolId, datasetName: notesName });
  const notesAgain = await signedIn.client.record.list.query({
    identityPoolId,
    datasetName: 'notes',
  });
  expect(notesAgain.mergedDatasetNames).toBeNull();

  // The guest's session is gone with the guest user; its identity answers as absent.
  expect((await errorOf(guest.client.identity.getId.mutate({ identityPoolId })))?.kind).toBe(
    'NotAuthorizedException',
  );
});

test('a guest signing up keeps its identity, now authenticated, with its data unchanged', async () => {
  const identityPoolId = await h.pool();
  const guest = await h.guest();
  const { identityId } = await guest.client.identity.getId.mutate({ identityPoolId });
  await syncOnce(guest.client, { identityPoolId, datasetName: 'notes' }, [
    { op: 'replace', key: 'a', value: '1', syncCount: 0 },
  ]);

  const response = await fetch(`${h.url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${guest.token}` },
    body: JSON.stringify({
      email: uniqueEmail(),
      password: 'correct horse battery staple',
      name: 'Ada',
    }),
  });
  expect(response.status).toBe(200);
  const account = h.client(response.headers.get('set-auth-token'));
  const identity = await account.identity.getId.mutate({ identityPoolId });
  expect(identity).toMatchObject({ identityId, authenticated: true });
  const notes = await account.record.list.query({ identityPoolId, datasetName: 'notes' });
  expect(notes).toMatchObject({ datasetSyncCount: 1, mergedDatasetNames: null });
  expect(notes.records.map((r) => [r.key, r.value])).toEqual([['a', '1']]);
});

test("pools that do not allow guests refuse guest identities with Cognito's message", async () => {
  const identityPoolId = await h.pool({ allowUnauthenticated: false });
  const guest = await h.guest();
  expect(await errorOf(guest.client.identity.getId.mutate({ identityPoolId }))).toEqual({
    kind: 'NotAuthorizedException',
    status: 403,
    message: 'Unauthenticated access is not supported for this identity pool.',
  });
  const member = await h.signUp();
  expect((await member.client.identity.getId.mutate({ identityPoolId })).authenticated).toBe(true);
});
