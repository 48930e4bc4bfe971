import { useState } from 'react';
import { useSettings } from '../settings.js';
import { useTandem } from '../sync/context.js';
import { useSession } from '../sync/hooks.js';

export function Header() {
  const session = useSession();
  const { settings } = useSettings();
  const who = !session ? '…' : session.isGuest ? 'Guest' : (session.email ?? 'Signed in');
  return (
    <header className="header">
      <div className="brand">
        <span className="logo" aria-hidden="true" />
        <div>
          <h1>My settings and notes</h1>
          <p className="muted">
            {settings.displayName ? `Hi, ${settings.displayName}! ` : ''}Everything here syncs
            between your devices, even after time offline.
          </p>
        </div>
      </div>
      <div className="header-actions">
        <span className="who" data-testid="who" data-guest={session?.isGuest ?? true}>
          {who}
        </span>
        <SyncNowButton />
      </div>
    </header>
  );
}

/** Syncs happen by themselves; this is for the impatient (and for after fixing an error). */
function SyncNowButton() {
  const { client } = useTandem();
  const [busy, setBusy] = useState(false);

  async function syncNow() {
    setBusy(true);
    try {
      // Never rejects: failures come back in the array and show in each dataset's state.
      await client.synchronizeAll();
    } finally {
      setBusy(false);
    }
  }

  return (
    <button
      type="button"
      className="button primary"
      disabled={busy}
      data-testid="sync-now"
      onClick={() => void syncNow()}
    >
      {busy ? 'Syncing…' : 'Sync now'}
    </button>
  );
}
