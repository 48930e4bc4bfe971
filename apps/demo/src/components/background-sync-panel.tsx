import { TandemSyncError, type TandemClient } from '@tandem/client-sdk';
import { useCallback, useEffect, useState } from 'react';
import { formatTime, messageOf } from '../format.js';
import { usePushMessages } from '../sync/background.js';
import { useTandem } from '../sync/context.js';
import { NOTES, SETTINGS } from '../tandem.js';

type PushConfig = Awaited<ReturnType<TandemClient['pushConfig']>>;

/** What the panel knows, from the browser (service worker, subscription) and the server (pool). */
type Status =
  | { kind: 'checking' }
  | { kind: 'unsupported' }
  | { kind: 'failed'; message: string }
  | { kind: 'pool-off' }
  | { kind: 'ready'; registration: ServiceWorkerRegistration; subscribed: boolean };

/**
 * Background sync (web push): with it on, a change made on another device reaches this browser
 * even while the app is closed. The server pushes to the browser, the browser wakes the service
 * worker (src/service-worker.ts), and the worker syncs the dataset into IndexedDB.
 */
export function BackgroundSyncPanel() {
  const { client, serviceWorker } = useTandem();
  const [status, setStatus] = useState<Status>({ kind: 'checking' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pushes = usePushMessages();

  const check = useCallback(async (): Promise<Status> => {
    if (!serviceWorker) return { kind: 'unsupported' };
    try {
      // Public: whether the pool offers push sync, and the key browsers subscribe with.
      const config: PushConfig = await client.pushConfig();
      if (!config.enabled) return { kind: 'pool-off' };
      const registration = await serviceWorker;
      const subscription = await registration.pushManager.getSubscription();
      return { kind: 'ready', registration, subscribed: subscription !== null };
    } catch (caught) {
      return { kind: 'failed', message: messageOf(caught) };
    }
  }, [client, serviceWorker]);

  useEffect(() => {
    let current = true;
    void check().then((next) => {
      if (current) setStatus(next);
    });
    return () => {
      current = false;
    };
  }, [check]);

  async function change(registration: ServiceWorkerRegistration, on: boolean) {
    setBusy(true);
    setError(null);
    try {
      // enablePush asks for notification permission (browsers require it for push, and the
      // prompt needs this click), subscribes the browser with the pool's key, registers it as
      // this device and subscribes it to the datasets. Pushes then skip the device that wrote.
      if (on) await client.enablePush({ registration, datasets: [SETTINGS, NOTES] });
      else await client.disablePush(registration);
    } catch (caught) {
      setError(pushErrorText(caught));
    } finally {
      setStatus(await check());
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="background-sync-title" data-testid="background-sync">
      <div className="card-head">
        <h2 id="background-sync-title">Background sync</h2>
        {status.kind === 'ready' && (
          <span className="badge" data-testid="push-state">
            {status.subscribed ? 'On' : 'Off'}
          </span>
        )}
      </div>
      <p className="muted">
        Get changes from your other devices even while this app is closed: the server sends this
        browser a push, and the app's service worker syncs in the background.
      </p>
      <p data-testid="push-availability" data-kind={status.kind}>
        {describe(status)}
      </p>
      {status.kind === 'ready' && (
        <div className="actions">
          {status.subscribed ? (
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => void change(status.registration, false)}
            >
              Disable
            </button>
          ) : (
            <button
              type="button"
              className="button primary"
              disabled={busy}
              onClick={() => void change(status.registration, true)}
            >
              {busy ? 'Enabling…' : 'Enable'}
            </button>
          )}
        </div>
      )}
      {error && (
        <p className="form-error" role="alert" data-testid="push-error">
          {error}
        </p>
      )}
      {pushes.last && (
        <p className="hint" data-testid="last-push" data-count={pushes.count}>
          Last background sync: {pushes.last.datasetName} (sync count {pushes.last.syncCount}) at{' '}
          {formatTime(pushes.at)}
          {pushes.count > 1 && ` · ${pushes.count} while this page was open`}
        </p>
      )}
    </section>
  );
}

function describe(status: Status): string {
  switch (status.kind) {
    case 'checking':
      return 'Checking…';
    case 'unsupported':
      return 'This browser cannot receive pushes here. The app still syncs while it is open.';
    case 'failed':
      return `Could not check whether background sync is available: ${status.message}`;
    case 'pool-off':
      return 'Not available: push sync is off for this identity pool (an administrator turns it on in the console).';
    case 'ready':
      return status.subscribed
        ? 'This browser is told when your data changes on another device.'
        : 'Available. Turn it on to have this browser told when your data changes elsewhere.';
  }
}

/** Plain words for what enabling or disabling threw. */
function pushErrorText(error: unknown): string {
  // The SDK's own errors (permission refused, push off for the pool, the API's answers) are
  // written for users already.
  if (error instanceof TandemSyncError) return error.message;
  // pushManager.subscribe() itself failed. Browsers say little about why (Chromium answers
  // "Registration failed - permission denied" for a private window as for a blocked site).
  if (error instanceof DOMException) {
    return `This browser could not subscribe to push messages (${error.message}). Notifications may be blocked for this site, the window may be private, or the browser cannot reach its push service. The app still syncs while it is open.`;
  }
  return messageOf(error);
}
