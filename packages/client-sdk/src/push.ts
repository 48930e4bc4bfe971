/// <reference lib="dom" />
/**
 * Push sync in browsers (web push): subscribe this browser so that a change made on another
 * device reaches it even when the app is closed, and, in the service worker, turn each push
 * into a background sync of that dataset (service-worker.ts).
 *
 * The browser subscribes with the pool's VAPID public key (`applicationServerKey`) and
 * `userVisibleOnly: true` (browsers require it); the subscription is registered as a WEB_PUSH
 * device under this client's deviceId, the one it sends with its writes, so its own changes
 * are never pushed back to it. After a key rotation on the server, enabling again replaces the
 * old subscription.
 */
import type { PushConfig, PushSubscriptionJson } from '@tandem/sync-protocol';
import { TandemSyncError, toSyncError } from './errors.js';
import type { Transport } from './transport.js';

/** The parts of a ServiceWorkerRegistration push needs (so tests can pass their own). */
export interface PushRegistrationLike {
  pushManager: {
    getSubscription(): Promise<PushSubscriptionLike | null>;
    subscribe(options: {
      userVisibleOnly: boolean;
      // Uint8Array<ArrayBuffer>, not any Uint8Array: lib.dom's BufferSource excludes views of a
      // SharedArrayBuffer, and a real ServiceWorkerRegistration must be assignable to this.
      applicationServerKey: Uint8Array<ArrayBuffer> | ArrayBuffer | string;
    }): Promise<PushSubscriptionLike>;
  };
}

export interface PushSubscriptionLike {
  readonly options?: { applicationServerKey?: ArrayBuffer | null };
  toJSON(): { endpoint?: string; keys?: Record<string, string> };
  unsubscribe(): Promise<boolean>;
}

export interface EnablePushOptions {
  /** The service worker registration whose push manager subscribes (its script handles pushes). */
  registration: PushRegistrationLike;
  /** Datasets to be told about (SubscribeToDataset for each). */
  datasets: readonly string[];
  /**
   * Ask for notification permission first (default true: browsers require permission for a
   * push subscription, and the prompt needs a user gesture, so call this from a click).
   */
  requestPermission?: boolean;
}

export interface PushHost {
  transport: Transport;
  identityPoolId: string;
  deviceId: string;
  ensureIdentity(): Promise<void>;
}

export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

const sameBytes = (a: ArrayBuffer | null | undefined, b: Uint8Array) => {
  if (!a || a.byteLength !== b.byteLength) return false;
  const view = new Uint8Array(a);
  return view.every((byte, i) => byte === b[i]);
};

async function permission(): Promise<void> {
  const api = (globalThis as { Notification?: typeof Notification }).Notification;
  if (!api) return; // no Notification API (tests): the push manager decides
  const result = api.permission === 'granted' ? 'granted' : await api.requestPermission();
  if (result !== 'granted') {
    throw new TandemSyncError(
      'PushUnavailable',
      'Notifications are not allowed for this site, so the browser cannot receive pushes.',
    );
  }
}

export async function pushConfig(host: PushHost): Promise<PushConfig> {
  return host.transport.pushConfig(host.identityPoolId).catch((error: unknown) => {
    throw toSyncError(error);
  });
}

/** Subscribes this browser and registers it; returns the device id. */
export async function enablePush(host: PushHost, options: EnablePushOptions): Promise<string> {
  const config = await pushConfig(host);
  if (!config.enabled || !config.vapidPublicKey) {
    throw new TandemSyncError(
      'InvalidConfigurationException',
      'Push sync is not enabled for this identity pool (enable it in the console).',
    );
  }
  if (options.requestPermission !== false) await permission();
  await host.ensureIdentity();
  const key = base64UrlToBytes(config.vapidPublicKey);
  const { pushManager } = options.registration;
  let subscription = await pushManager.getSubscription();
  if (subscription && !sameBytes(subscription.options?.applicationServerKey, key)) {
    // Made with another key (before a rotation, or another server): it cannot work any more.
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: key,
  });
  const json = subscription.toJSON();
  if (!json.endpoint || !json.keys?.['p256dh'] || !json.keys['auth']) {
    throw new TandemSyncError(
      'PushUnavailable',
      'The browser returned an incomplete push subscription.',
    );
  }
  const payload: PushSubscriptionJson = {
    endpoint: json.endpoint,
    keys: { p256dh: json.keys['p256dh'], auth: json.keys['auth'] },
  };
  try {
    await host.transport.registerDevice({
      identityPoolId: host.identityPoolId,
      platform: 'WEB_PUSH',
      subscription: payload,
      deviceId: host.deviceId,
    });
    for (const datasetName of options.datasets) {
      await host.transport.subscribeToDataset({
        identityPoolId: host.identityPoolId,
        deviceId: host.deviceId,
        datasetName,
      });
    }
  } catch (error) {
    throw toSyncError(error);
  }
  return host.deviceId;
}

/** Unsubscribes the browser and removes the device from the server. */
export async function disablePush(
  host: PushHost,
  registration: PushRegistrationLike,
): Promise<void> {
  const subscription = await registration.pushManager.getSubscription();
  await subscription?.unsubscribe();
  await host.transport
    .removeDevice({ identityPoolId: host.identityPoolId, deviceId: host.deviceId })
    .catch((error: unknown) => {
      const failure = toSyncError(error);
      if (failure.kind !== 'ResourceNotFoundException') throw failure;
    });
}
