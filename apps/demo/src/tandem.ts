/**
 * Connecting to Tandem: which identity pool, which local store, and a session to start with.
 *
 * The app is local-first: reads and writes go to IndexedDB at once and the SDK syncs in the
 * background (after a write, on reconnect, and when the server pokes it because another device
 * changed something). Nothing here waits for the network except the very first start.
 */
import { createTandemClient, indexedDbStore, type TandemClient } from '@tandem/client-sdk';

/** The two datasets this app keeps per user. */
export const SETTINGS = 'settings';
export const NOTES = 'notes';

/** The IndexedDB database of this app, shared by its tabs and its service worker. */
export const STORE_NAME = 'tandem-demo';

const POOL_KEY = 'tandem-demo.identityPoolId';

interface TrpcResult<T> {
  result?: { data?: T };
}

/**
 * The identity pool to use: `?pool=` in the URL, else VITE_TANDEM_POOL_ID, else the server's
 * default pool (`npm start` creates one that allows guests). A real app ships its pool id; it is
 * not a secret. The last answer is remembered so the app also starts offline.
 */
export async function resolveIdentityPoolId(): Promise<string> {
  const fromUrl = new URLSearchParams(location.search).get('pool');
  if (fromUrl) return fromUrl;
  const fromEnv = import.meta.env.VITE_TANDEM_POOL_ID;
  if (fromEnv) return fromEnv;
  try {
    // tRPC queries are plain GETs; the answer is `{ result: { data: … } }`.
    const response = await fetch('/trpc/meta.defaultIdentityPool');
    if (!response.ok) throw new Error(`The server answered ${response.status}`);
    const body = (await response.json()) as TrpcResult<{ identityPoolId: string | null }>;
    const poolId = body.result?.data?.identityPoolId;
    if (!poolId) {
      throw new Error(
        'The server has no default identity pool. Open this page with ?pool=<identity pool id>.',
      );
    }
    localStorage.setItem(POOL_KEY, poolId);
    return poolId;
  } catch (error) {
    const remembered = localStorage.getItem(POOL_KEY);
    if (remembered) return remembered;
    throw error;
  }
}

/** Creates the client and makes sure there is a session: a guest one if nobody signed in yet. */
export async function startTandem(identityPoolId: string): Promise<TandemClient> {
  const client = await createTandemClient({
    // Same origin: the dev server (or your reverse proxy) forwards /trpc and /api/auth to the API.
    url: location.origin,
    identityPoolId,
    // One IndexedDB database shared by every tab of this origin: the tabs act as one device
    // (one sync at a time, one live connection, changes broadcast between them).
    store: await indexedDbStore({ name: STORE_NAME }),
    // `?live=off` leaves out the live connection: this tab then learns about other devices'
    // changes only from syncs it starts itself or from the service worker (background sync).
    // The browser tests use it to prove that a push alone brings the data.
    live: new URLSearchParams(location.search).get('live') !== 'off',
  });
  // A saved session (and its identity) lets the app start offline. A session whose identity was
  // never resolved belongs to a server that no longer knows it: start over as a guest.
  if (client.currentSession && !client.identityId && navigator.onLine) {
    await client.signOut();
  }
  // Everyone starts as a guest, so the app works before anybody signs up. Signing up later
  // keeps the guest's data: the guest identity becomes the account's.
  if (!client.currentSession) await client.signInAsGuest();
  return client;
}

/** New note keys sort by creation time (base-36 milliseconds), with a random tail. */
export const newNoteKey = () =>
  `note-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
