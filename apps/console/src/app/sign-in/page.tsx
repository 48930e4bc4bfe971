'use client';
import { useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';
import { Brand, useNeedsFirstAdmin } from '../../components/app-shell';
import { Button } from '../../components/button';
import { Field } from '../../components/field';
import { isAdmin, SESSION_KEY, signInWithEmail, useSession } from '../../lib/session';

/** Where to go after signing in: the page that sent us here, if it is one of ours. */
function nextPath(): string {
  const next = new URLSearchParams(window.location.search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/pools';
}

export default function SignInPage() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const session = useSession();
  const setup = useNeedsFirstAdmin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const signedInAdmin = session.data ? isAdmin(session.data) : false;
  useEffect(() => {
    if (signedInAdmin) router.replace(nextPath());
  }, [signedInAdmin, router]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!email.trim() || !password) {
      setError('Enter your email and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const user = await signInWithEmail(email.trim(), password);
      queryClient.setQueryData(SESSION_KEY, user);
      await queryClient.invalidateQueries({ queryKey: SESSION_KEY });
      router.replace(nextPath());
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      setBusy(false);
    }
  };

  return (
    <main className="auth-screen">
      <form className="card auth-card" onSubmit={(event) => void submit(event)} noValidate>
        <Brand href="/sign-in" />
        <div>
          <h1>Sign in</h1>
          <p className="lead">Administrators manage identity pools, identities and their data.</p>
        </div>
        {setup.needsFirstAdmin ? (
          <div className="notice notice-info">
            <strong>First run</strong>
            <p>
              This server has no administrator yet. <Link href="/setup">Create the first one</Link>.
            </p>
          </div>
        ) : null}
        <Field label="Email">
          <input
            className="input"
            type="email"
            autoComplete="username"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            autoFocus
            required
          />
        </Field>
        <Field label="Password">
          <input
            className="input"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            required
          />
        </Field>
        {error ? (
          <div className="notice notice-danger" role="alert" data-testid="sign-in-error">
            <p>{error}</p>
          </div>
        ) : null}
        <Button type="submit" variant="primary" busy={busy}>
          Sign in
        </Button>
      </form>
    </main>
  );
}
