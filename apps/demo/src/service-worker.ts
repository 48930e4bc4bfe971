/**
 * The demo's service worker: background sync on web push.
 *
 * When another device changes one of this user's datasets, the server sends this browser a push
 * (if the user turned "Background sync" on). The browser wakes this worker, even with every tab
 * closed, and `handlePush` syncs that dataset into the same IndexedDB database the tabs use. An
 * open tab sees the new data at once (the SDK's tab channel tells it), and gets a `tandem:push`
 * message; when no tab is visible, the pool's short notification shows instead.
 *
 * It is an ES module worker (`register(url, { type: 'module' })`), bundled by Vite: the dev
 * server serves it at /service-worker.js, and the build writes it there (vite.config.ts).
 */
import { createTandemClient, indexedDbStore, type TandemClient } from '@tandem/client-sdk';
import {
  handlePush,
  type PushEventLike,
  type ServiceWorkerScopeLike,
} from '@tandem/client-sdk/service-worker';
import { STORE_NAME } from './tandem.js';

/**
 * What this worker uses of its global scope. (The demo typechecks against the DOM library, which
 * has no service-worker types, and the WebWorker library cannot be loaded next to it.)
 */
interface ExtendableEventLike {
  waitUntil(promise: Promise<unknown>): void;
}
interface ServiceWorkerScope extends ServiceWorkerScopeLike {
  readonly location: { readonly href: string; readonly origin: string };
  readonly clients: ServiceWorkerScopeLike['clients'] & { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(
    type: 'install' | 'activate',
    listener: (event: ExtendableEventLike) => void,
  ): void;
  addEventListener(type: 'push', listener: (event: PushEventLike) => void): void;
}
const worker = self as unknown as ServiceWorkerScope;

// The page registers this script as /service-worker.js?pool=<identity pool id>.
const identityPoolId = new URL(worker.location.href).searchParams.get('pool');

/**
 * One client per worker, made on the first push. It reads the session and device id the tabs
 * saved in the shared store, so the worker syncs as this browser's device. No live connection
 * and no automatic syncs: the worker syncs only what a push asks for, then the browser stops it.
 */
let client: Promise<TandemClient> | undefined;
function getClient(): Promise<TandemClient> {
  if (!identityPoolId) return Promise.reject(new Error('Register the worker with ?pool=<id>'));
  client ??= createTandemClient({
    url: worker.location.origin,
    identityPoolId,
    store: indexedDbStore({ name: STORE_NAME }), // the tabs' database
    live: false,
    autoSync: false,
  });
  return client;
}

// A new version of this script takes over at once instead of waiting for every tab to close.
worker.addEventListener('install', (event) => event.waitUntil(worker.skipWaiting()));
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));

worker.addEventListener('push', (event) => handlePush(event, { client: getClient }));
