import { useId, useState, type FormEvent } from 'react';
import { messageOf } from '../format.js';
import { useTandem } from '../sync/context.js';
import { useIdentityId, useSession } from '../sync/hooks.js';
import { NOTES, SETTINGS } from '../tandem.js';

type Mode = 'sign-up' | 'sign-in';

/** Who is using the app: a guest (with forms to create an account or sign in) or an account. */
export function AccountPanel() {
  const session = useSession();
  const identityId = useIdentityId();
  return (
    <section className="card" aria-labelledby="account-title" data-testid="account">
      <h2 id="account-title">Account</h2>
      {!session ? (
        <p className="muted">Starting a guest session…</p>
      ) : session.isGuest ? (
        <GuestAccount />
      ) : (
        <SignedIn email={session.email ?? 'your account'} />
      )}
      {identityId && (
        <p className="identity">
          Identity <code title={identityId}>{identityId}</code>
        </p>
      )}
    </section>
  );
}

function GuestAccount() {
  const [mode, setMode] = useState<Mode>('sign-up');
  return (
    <>
      <p className="muted">
        You are a <strong>guest</strong>: your data is kept on this device and backed up to the
        server. Create an account to have it on your other devices too.
      </p>
      <div className="segmented" role="group" aria-label="Account action">
        <button type="button" aria-pressed={mode === 'sign-up'} onClick={() => setMode('sign-up')}>
          Create account
        </button>
        <button type="button" aria-pressed={mode === 'sign-in'} onClick={() => setMode('sign-in')}>
          Sign in
        </button>
      </div>
      <AuthForm key={mode} mode={mode} />
    </>
  );
}

function AuthForm({ mode }: { mode: Mode }) {
  const { client } = useTandem();
  const id = useId();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Both send the guest session along: on sign-up the guest identity becomes the account's;
      // on sign-in to an account that has data, the guest's datasets are merged into it.
      if (mode === 'sign-up') await client.signUp({ email, password });
      else await client.signIn({ email, password });
    } catch (caught) {
      setError(messageOf(caught));
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={submit} data-testid={`${mode}-form`}>
      <div className="field">
        <label htmlFor={`${id}-email`}>Email</label>
        <input
          id={`${id}-email`}
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          type="password"
          autoComplete={mode === 'sign-up' ? 'new-password' : 'current-password'}
          minLength={8}
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        {mode === 'sign-up' && <p className="hint">At least 8 characters.</p>}
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? 'Please wait…' : mode === 'sign-up' ? 'Create account' : 'Sign in'}
      </button>
    </form>
  );
}

function SignedIn({ email }: { email: string }) {
  const { client, callbacksFor } = useTandem();
  const [busy, setBusy] = useState(false);
  const [unsynced, setUnsynced] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function signOut(force: boolean) {
    setBusy(true);
    setError(null);
    try {
      if (!force) {
        // signOut() wipes this user's data from the device (a shared computer must not keep it),
        // unsynced changes included: push them first, and ask if some could not go out.
        await client.synchronizeAll();
        const open = (name: string) => client.dataset(name, callbacksFor(name));
        const datasets = await Promise.all([open(SETTINGS), open(NOTES)]);
        if (datasets.some((dataset) => dataset.state.pending > 0)) {
          setUnsynced(true);
          return;
        }
      }
      await client.signOut();
      // Back to a fresh guest, as on a first visit.
      await client.signInAsGuest();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <p>
        Signed in as <strong data-testid="account-email">{email}</strong>. Your settings and notes
        sync to every device you sign in on.
      </p>
      {unsynced ? (
        <div className="warning" role="alert">
          <p>Some changes have not reached the server yet. Signing out now deletes them.</p>
          <div className="actions">
            <button
              type="button"
              className="button danger"
              disabled={busy}
              onClick={() => void signOut(true)}
            >
              Sign out anyway
            </button>
            <button type="button" className="button" onClick={() => setUnsynced(false)}>
              Stay signed in
            </button>
          </div>
        </div>
      ) : (
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={() => void signOut(false)}
        >
          {busy ? 'Signing out…' : 'Sign out'}
        </button>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
