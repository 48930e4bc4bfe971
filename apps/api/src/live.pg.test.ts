/**
 * The live channel: a device subscribed over SSE is poked when another device of its identity
 * changes a dataset, never for other identities, can resume from its last event id, and is
 * told to reconnect when the server shuts down.
 */
import type { LiveMessage } from '@tandem/sync-protocol';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, syncOnce, type ApiClient, type Harness } from './testing/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

interface Received {
  id: string;
  data: LiveMessage;
}

function subscribe(client: ApiClient, identityPoolId: string, lastEventId?: string) {
  const received: Received[] = [];
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const subscription = client.live.onDatasetChange.subscribe(
    { identityPoolId, ...(lastEventId ? { lastEventId } : {}) },
    {
      onStarted: () => started(),
      onData: (event) => received.push(event as unknown as Received),
    },
  );
  return { received, ready, stop: () => subscription.unsubscribe() };
}

test('another device of the identity is poked with dataset and sync count; strangers are not', async () => {
  const identityPoolId = await h.pool();
  const me = await h.signUp();
  const stranger = await h.signUp();
  await me.client.identity.getId.mutate({ identityPoolId });
  await stranger.client.identity.getId.mutate({ identityPoolId });

  const phone = subscribe(h.client(me.token), identityPoolId);
  const strangerFeed = subscribe(stranger.client, identityPoolId);
  await Promise.all([phone.ready, strangerFeed.ready]);

  await syncOnce(me.client, { identityPoolId, datasetName: 'notes' }, [
    { op: 'replace', key: 'a', value: '1', syncCount: 0 },
  ]);
  const pull = await me.client.record.list.query({ identityPoolId, datasetName: 'notes' });
  await me.client.record.update.mutate({
    identityPoolId,
    datasetName: 'notes',
    deviceId: 'laptop',
    syncSessionToken: pull.syncSessionToken,
    recordPatches: [{ op: 'replace', key: 'a', value: '2', syncCount: 1 }],
  });
  await me.client.dataset.delete.mutate({ identityPoolId, datasetName: 'notes' });

  await expect.poll(() => phone.received.length, { timeout: 10_000 }).toBe(3);
  expect(phone.received.map((e) => e.data)).toEqual([
    {
      type: 'datasetChanged',
      body: expect.objectContaining({
        datasetName: 'notes',
        syncCount: 1,
        changeKind: 'update',
        deviceId: null,
      }),
    },
    {
      type: 'datasetChanged',
      body: expect.objectContaining({
        datasetName: 'notes',
        syncCount: 2,
        changeKind: 'update',
        deviceId: 'laptop',
      }),
    },
    {
      type: 'datasetChanged',
      body: expect.objectContaining({ datasetName: 'notes', syncCount: 3, changeKind: 'delete' }),
    },
  ]);
  expect(strangerFeed.received).toEqual([]);

  // Resume after a disconnect: only what came after the last event seen.
  phone.stop();
  const firstId = phone.received[0]!.id;
  const resumed = subscribe(h.client(me.token), identityPoolId, firstId);
  await expect.poll(() => resumed.received.length, { timeout: 10_000 }).toBe(2);
  expect(
    resumed.received.map((e) => (e.data.type === 'datasetChanged' ? e.data.body.syncCount : -1)),
  ).toEqual([2, 3]);
  resumed.stop();
  strangerFeed.stop();
});

test('on shutdown, open subscriptions are told to reconnect', async () => {
  const own = await startHarness();
  try {
    const identityPoolId = await own.pool();
    const me = await own.signUp();
    const feed = subscribe(me.client, identityPoolId);
    await feed.ready;
    const stopping = own.api.stop();
    await expect
      .poll(() => feed.received.map((e) => e.data.type), { timeout: 10_000 })
      .toContain('reconnect');
    feed.stop();
    await stopping;
  } finally {
    await own.close();
  }
});
