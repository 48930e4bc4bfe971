/**
 * Background sync, the page's half: registering the service worker (src/service-worker.ts) and
 * hearing what it did. Turning pushes on and off is in components/background-sync-panel.tsx.
 */
import { useEffect, useState } from 'react';

/**
 * Registers the service worker for the whole app and resolves once it is active (a push
 * subscription needs an active worker). Null where the browser has no service workers or no
 * web push (an insecure origin, some embedded browsers).
 */
export function registerServiceWorker(
  identityPoolId: string,
): Promise<ServiceWorkerRegistration> | null {
  if (!('serviceWorker' in navigator) || typeof PushManager === 'undefined') return null;
  // The worker reads the pool from its URL (it has no access to the page's localStorage).
  const url = `/service-worker.js?pool=${encodeURIComponent(identityPoolId)}`;
  // `type: 'module'`: Vite bundles the worker as an ES module, imports and all.
  const ready = navigator.serviceWorker
    .register(url, { type: 'module', scope: '/' })
    .then(() => navigator.serviceWorker.ready);
  ready.catch(() => undefined); // shown by the Background sync panel, not an unhandled rejection
  return ready;
}

/** What the service worker posts to every open tab after handling a push. */
export interface PushMessage {
  type: 'tandem:push';
  datasetName: string;
  syncCount: number;
  identityId: string;
}

const isPushMessage = (data: unknown): data is PushMessage =>
  typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'tandem:push';

/**
 * The pushes the service worker handled while this page was open: how many, and the last one
 * with when it arrived. (The new data itself reaches the page's datasets through the SDK's tab
 * channel; this is only for showing that it came by push.)
 */
export function usePushMessages(): { count: number; last: PushMessage | null; at: number | null } {
  const [state, setState] = useState<{
    count: number;
    last: PushMessage | null;
    at: number | null;
  }>({ count: 0, last: null, at: null });
  useEffect(() => {
    if (!('serviceWorker' in navigator)) return;
    const onMessage = (event: MessageEvent) => {
      if (!isPushMessage(event.data)) return;
      const message = event.data;
      setState((previous) => ({ count: previous.count + 1, last: message, at: Date.now() }));
    };
    navigator.serviceWorker.addEventListener('message', onMessage);
    return () => navigator.serviceWorker.removeEventListener('message', onMessage);
  }, []);
  return state;
}
