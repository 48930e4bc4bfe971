/**
 * The service-worker half of push sync. In the worker script:
 *
 * ```js
 * import { createTandemClient, indexedDbStore } from '@tandem/client-sdk';
 * import { handlePush } from '@tandem/client-sdk/service-worker';
 *
 * let client;
 * const getClient = () => (client ??= createTandemClient({
 *   url: self.location.origin, identityPoolId: POOL_ID,
 *   store: indexedDbStore(), live: false, autoSync: false,
 * }));
 * self.addEventListener('push', (event) => handlePush(event, { client: getClient }));
 * ```
 *
 * On a push it syncs that dataset into the same IndexedDB store the app's tabs use (same
 * session, same device id), so open tabs see the new data at once through the SDK's tab channel,
 * and each window also gets a `{ type: 'tandem:push', ...payload }` message. When no tab is
 * visible it shows the pool's short notification (browsers expect one per push; the pool's
 * settings can turn it off where the browser allows).
 */
import { pushPayloadSchema, type PushPayload } from '@tandem/sync-protocol';
import type { TandemClient } from './client.js';

/** The parts of a PushEvent used here. */
export interface PushEventLike {
  readonly data: { json(): unknown } | null;
  waitUntil(promise: Promise<unknown>): void;
}

export interface WindowClientLike {
  readonly visibilityState?: string;
  postMessage(message: unknown): void;
}

/** The parts of the service worker global scope used here. */
export interface ServiceWorkerScopeLike {
  clients: {
    matchAll(options: {
      type: 'window';
      includeUncontrolled: boolean;
    }): Promise<readonly WindowClientLike[]>;
  };
  registration: {
    showNotification(
      title: string,
      options?: { body?: string; tag?: string; silent?: boolean },
    ): Promise<void>;
  };
}

export interface HandlePushOptions {
  /** This origin's client (create it once per worker and return the same promise). */
  client: () => Promise<TandemClient>;
  /** The worker's global scope (default `globalThis`). */
  scope?: ServiceWorkerScopeLike;
}

/** What a push carries, or null when it is not one of Tandem's. */
export function parsePushPayload(data: PushEventLike['data']): PushPayload | null {
  if (!data) return null;
  let json: unknown;
  try {
    json = data.json();
  } catch {
    return null;
  }
  const parsed = pushPayloadSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** Handles one push event (keeps the worker alive until done). */
export function handlePush(event: PushEventLike, options: HandlePushOptions): void {
  event.waitUntil(onPush(event, options));
}

async function onPush(event: PushEventLike, options: HandlePushOptions): Promise<void> {
  const scope = options.scope ?? (globalThis as unknown as ServiceWorkerScopeLike);
  const payload = parsePushPayload(event.data);
  const windows = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const visible = windows.some((w) => w.visibilityState === 'visible');
  let client: TandemClient | null = null;
  try {
    if (!payload) return;
    client = await options.client();
    // Only for the identity signed in on this browser (a push for someone who signed out here
    // is dropped: the server moves the subscription on the next registration).
    if (client.identityId === payload.identityId) {
      const dataset = await client.dataset(payload.datasetName);
      if (payload.syncCount > dataset.state.syncCount) await dataset.synchronize();
    }
    for (const w of windows) w.postMessage({ type: 'tandem:push', ...payload });
  } finally {
    if (!visible) await notify(scope, client, payload);
  }
}

async function notify(
  scope: ServiceWorkerScopeLike,
  client: TandemClient | null,
  payload: PushPayload | null,
): Promise<void> {
  const fallback = { show: true, title: 'Updated', body: 'Your data changed on another device.' };
  const notification = client
    ? await client.pushConfig().then(
        (c) => c.notification,
        () => fallback,
      )
    : fallback;
  if (!notification.show) return;
  await scope.registration.showNotification(notification.title, {
    body: notification.body,
    // One notification per dataset: a newer push replaces the older one.
    tag: `tandem:${payload?.datasetName ?? 'sync'}`,
    silent: true,
  });
}
