import { useEffect, useState } from 'react';
import { messageOf } from '../format.js';
import { useTandem } from '../sync/context.js';

/**
 * A session can end on the server (signed out elsewhere, expired, a fresh server): syncs then
 * fail with `NotSignedIn`. The data stays on this device; the user needs a new session.
 */
export function SessionNotice() {
  const { client } = useTandem();
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const offFailed = client.on('syncFailed', ({ error }) => {
      if (error.kind === 'NotSignedIn') setEnded(true);
    });
    const offSession = client.on('session', () => setEnded(false));
    return () => {
      offFailed();
      offSession();
    };
  }, [client]);

  if (!ended) return null;

  async function startOver() {
    try {
      // An account keeps its local data, unsynced changes included, for its next sign-in here.
      await client.signOut({ keepLocalData: client.currentSession?.isGuest === false });
      await client.signInAsGuest();
    } catch (caught) {
      setError(messageOf(caught));
    }
  }

  return (
    <section className="banner warning" role="alert">
      <div>
        <h2>Your session has ended</h2>
        <p>This device can no longer sync. Sign out, then sign in again or continue as a guest.</p>
        {error && <p className="form-error">{error}</p>}
      </div>
      <div className="actions">
        <button type="button" className="button primary" onClick={() => void startOver()}>
          Sign out
        </button>
      </div>
    </section>
  );
}
