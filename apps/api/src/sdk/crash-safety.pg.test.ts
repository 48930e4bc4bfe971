/**
 * Crash safety of the client SDK (issue 3; SPEC.md I2, I5). A "crash" abandons the client at a
 * chosen point of a sync; a new client then opens the same stored data (the file store's
 * journal, an IndexedDB database) and syncs again. Nothing may be lost or written twice.
 */
import type { TandemClient } from '@tandem/client-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PASSWORD, startHarness, uniqueEmail, type Harness } from '../testing/harness.js';
import {
  createDevice,
  newNetwork,
  openStore,
  type StoreKind,
  type UpdateFault,
} from './testing/devices.js';

let h: Harness;
let poolId: string;
const open: TandemClient[] = [];
beforeAll(async () => {
  h = await startHarness();
  poolId = await h.pool();
});
afterAll(async () => {
  await Promise.all(open.map((client) => client.close().catch(() => undefined)));
  await h?.close();
});

/** Every value the server's change log holds for a dataset, in order. */
async function history(identityId: string, datasetName: string) {
  const rows = await h.database.sql.query<{
    records: Array<{ key: string; value: string | null }>;
  }>(
    {
      name: 'test_crash_history',
      text: 'select records from change_log where identity_id = $1 and dataset_name = $2 order by sync_count',
    },
    [identityId, datasetName],
  );
  return rows.flatMap((row) => row.records.map((record) => `${record.key}=${record.value}`));
}

async function crashingDevice(kind: StoreKind, email: string) {
  const network = newNetwork();
  const { store, reopen } = await openStore(kind);
  const client = await createDevice({ url: h.url, identityPoolId: poolId, store, network });
  await client.signIn({ email, password: PASSWORD });
  return {
    client,
    network,
    /** Abandons the client (no close: a killed process closes nothing) and starts a new one. */
    async restart() {
      // Release the file handles, as the OS does for a killed process; nothing else runs.
      if (store.kind !== 'memory') await store.close();
      const again = newNetwork();
      const next = await createDevice({
        url: h.url,
        identityPoolId: poolId,
        store: await reopen(),
        network: again,
      });
      open.push(next);
      return { client: next, network: again };
    },
  };
}

async function crashDuringPush(
  device: Awaited<ReturnType<typeof crashingDevice>>,
  fault: UpdateFault,
) {
  device.network.nextUpdateFault = fault;
  const notes = await device.client.dataset('notes');
  await expect(notes.synchronize()).rejects.toMatchObject({ kind: 'NetworkError' });
  expect(device.network.dead).toBe(true);
}

describe.each<StoreKind>(['file', 'indexeddb'])('%s store', (kind) => {
  test('killed between pull and push: the next sync pushes once', async () => {
    const email = uniqueEmail();
    await h.signUp(email);
    const device = await crashingDevice(kind, email);
    const notes = await device.client.dataset('notes');
    await notes.put('a', 'first');
    await crashDuringPush(device, 'dieBeforeSend');

    const { client, network } = await device.restart();
    const reopened = await client.dataset('notes');
    expect(reopened.get('a')).toBe('first');
    expect(reopened.state.pending).toBe(1);
    const result = await reopened.synchronize();
    expect(result).toMatchObject({ pushed: 1, conflicts: 0, pending: 0, syncCount: 1 });
    expect(network.updateCalls).toBe(1);
    expect(await history(client.identityId!, 'notes')).toEqual(['a=first']);
  });

  test('killed after the server committed: recognised as its own write, not pushed again', async () => {
    const email = uniqueEmail();
    await h.signUp(email);
    const device = await crashingDevice(kind, email);
    const notes = await device.client.dataset('notes');
    await notes.putAll({ a: 'one', b: 'two' });
    await crashDuringPush(device, 'dieAfterCommit');
    expect(device.network.acks.map((r) => r.key).sort()).toEqual(['a', 'b']); // it did commit

    const { client, network } = await device.restart();
    const reopened = await client.dataset('notes');
    expect(reopened.state.pending).toBe(2); // the device never learned
    const conflicts: string[] = [];
    const result = await reopened.synchronize({
      onConflict: (found) => void conflicts.push(...found.map((c) => c.key)),
    });
    expect(conflicts).toEqual([]);
    expect(result).toMatchObject({ pushed: 0, pending: 0, syncCount: 1 });
    expect(network.updateCalls).toBe(0);
    expect(reopened.getAll()).toEqual({ a: 'one', b: 'two' });
    expect(await history(client.identityId!, 'notes')).toEqual(['a=one', 'b=two']);
  });

  test('killed after commit, then edited before the restart sync: both writes land once', async () => {
    const email = uniqueEmail();
    await h.signUp(email);
    const device = await crashingDevice(kind, email);
    const notes = await device.client.dataset('notes');
    await notes.put('a', 'v1');
    await crashDuringPush(device, 'dieAfterCommit');

    const { client } = await device.restart();
    const reopened = await client.dataset('notes');
    await reopened.put('a', 'v2'); // offline edit after the restart, before any sync
    const conflicts: string[] = [];
    const result = await reopened.synchronize({
      onConflict: (found) => void conflicts.push(...found.map((c) => c.key)),
    });
    // Its own earlier write is not a conflict; v2 goes on top of it.
    expect(conflicts).toEqual([]);
    expect(result).toMatchObject({ pushed: 1, pending: 0, syncCount: 2 });
    expect(await history(client.identityId!, 'notes')).toEqual(['a=v1', 'a=v2']);
  });

  test('killed after commit, overwritten by a device that saw it: the overwrite stands, nothing pushed again', async () => {
    const email = uniqueEmail();
    await h.signUp(email);
    const device = await crashingDevice(kind, email);
    const notes = await device.client.dataset('notes');
    await notes.putAll({ a: 'mine', b: 'kept' });
    await crashDuringPush(device, 'dieAfterCommit');

    const other = await crashingDevice('memory', email);
    open.push(other.client);
    const theirs = await other.client.dataset('notes');
    await theirs.synchronize();
    expect(theirs.get('a')).toBe('mine'); // they saw our write before replacing it
    await theirs.put('a', 'theirs');
    await theirs.synchronize();

    const { client, network } = await device.restart();
    const reopened = await client.dataset('notes');
    const conflicts: string[] = [];
    const result = await reopened.synchronize({
      onConflict: (found) => void conflicts.push(...found.map((c) => c.key)),
    });
    // The server confirmed our push had landed, so there is nothing to decide or to resend.
    expect(conflicts).toEqual([]);
    expect(result).toMatchObject({ pushed: 0, pending: 0, syncCount: 2 });
    expect(network.updateCalls).toBe(0);
    expect(reopened.getAll()).toEqual({ a: 'theirs', b: 'kept' });
    expect(await history(client.identityId!, 'notes')).toEqual(['a=mine', 'b=kept', 'a=theirs']);
  });

  test('killed before the push arrived while another device wrote the key: a conflict, as the write never landed', async () => {
    const email = uniqueEmail();
    await h.signUp(email);
    const device = await crashingDevice(kind, email);
    const notes = await device.client.dataset('notes');
    await notes.put('a', 'mine');
    await crashDuringPush(device, 'dieBeforeSend');

    const other = await crashingDevice('memory', email);
    open.push(other.client);
    const theirs = await other.client.dataset('notes');
    await theirs.put('a', 'theirs');
    await theirs.synchronize();

    const { client } = await device.restart();
    const reopened = await client.dataset('notes');
    const seen: Array<[string | null, string | null]> = [];
    await reopened.synchronize({
      onConflict(found) {
        for (const conflict of found) {
          seen.push([conflict.local.value, conflict.remote.value]);
          conflict.resolveWithLocal();
        }
      },
    });
    expect(seen).toEqual([['mine', 'theirs']]);
    expect(reopened.get('a')).toBe('mine');
    expect(await history(client.identityId!, 'notes')).toEqual(['a=theirs', 'a=mine']);
  });

  test('killed after commit while another device overwrote the key: a real conflict', async () => {
    const email = uniqueEmail();
    await h.signUp(email);
    const device = await crashingDevice(kind, email);
    const notes = await device.client.dataset('notes');
    await notes.put('a', 'mine');
    await crashDuringPush(device, 'dieAfterCommit');

    const other = await crashingDevice('memory', email);
    open.push(other.client);
    const theirs = await other.client.dataset('notes');
    await theirs.synchronize();
    await theirs.put('a', 'theirs');
    await theirs.synchronize();

    const { client } = await device.restart();
    const reopened = await client.dataset('notes');
    await reopened.put('a', 'mine again');
    const seen: Array<[string | null, string | null]> = [];
    await reopened.synchronize({
      onConflict(found) {
        for (const conflict of found) {
          seen.push([conflict.local.value, conflict.remote.value]);
          conflict.resolveWithRemote();
        }
      },
    });
    expect(seen).toEqual([['mine again', 'theirs']]);
    expect(reopened.get('a')).toBe('theirs');
    expect(await history(client.identityId!, 'notes')).toEqual(['a=mine', 'a=theirs']);
  });
});
