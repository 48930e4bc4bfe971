'use client';
/**
 * First run: the server has no admin. Whoever can read the API's start-up output (it prints a
 * one-time setup token) creates the first administrator here, then is signed in.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { Brand, useNeedsFirstAdmin } from '../../components/app-shell';
import { Button } from '../../components/button';
import { Field } from '../../components/field';
import { ErrorNotice, Loading } from '../../components/states';
import { explainError, fieldErrorsOf } from '../../lib/errors';
import { SESSION_KEY, signInWithEmail } from '../../lib/session';
import { useTRPC } from '../../lib/trpc';

const CLI = `npm run tandem --workspace @tandem/api -- \\
  admin:create --email you@example.com \\
  --password '…' --name 'Your Name'`;

export default function SetupPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const setup = useNeedsFirstAdmin();
  const [form, setForm] = useState({ email: '', name: '', password: '', setupToken: '' });
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const create = useMutation(trpc.setup.createFirstAdmin.mutationOptions());
  const [signInError, setSignInError] = useState<string | null>(null);

  const serverErrors = create.error ? fieldErrorsOf(create.error) : {};
  const errorOf = (field: keyof typeof form) => localErrors[field] ?? serverErrors[field];
  const set = (field: keyof typeof form) => (value: string) => {
    setForm((current) => ({ ...current, [field]: value }));
    setLocalErrors((current) => ({ ...current, [field]: '' }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const errors: Record<string, string> = {};
    if (!/^\S+@\S+\.\S+$/.test(form.email.trim())) errors.email = 'Enter an email address.';
    if (!form.name.trim()) errors.name = 'Enter a name.';
    if (form.password.length < 8) errors.password = 'Use at least 8 characters.';
    if (!form.setupToken.trim()) errors.setupToken = 'Paste the setup token the API printed.';
    setLocalErrors(errors);
    if (Object.values(errors).some(Boolean)) return;
    try {
      await create.mutateAsync({
        email: form.email.trim(),
        name: form.name.trim(),
        password: form.password,
        setupToken: form.setupToken.trim(),
      });
    } catch {
      return; // shown below
    }
    try {
      const user = await signInWithEmail(form.email.trim(), form.password);
      queryClient.setQueryData(SESSION_KEY, user);
      await queryClient.invalidateQueries();
      router.replace('/pools');
    } catch (caught) {
      setSignInError(caught instanceof Error ? caught.message : String(caught));
    }
  };

  const fieldsWithErrors = Object.keys(serverErrors);
  return (
    <main className="auth-screen">
      <div className="card auth-card" style={{ width: 'min(520px, 100%)' }}>
        <Brand href="/setup" />
        {setup.loading ? (
          <Loading label="Checking the server…" />
        ) : !setup.needsFirstAdmin ? (
          <div className="notice notice-success" data-testid="setup-done">
            <strong>Setup is done</strong>
            <p>This server already has an administrator.</p>
            <p>
              <Link href="/sign-in">Sign in</Link>
            </p>
          </div>
        ) : (
          <form className="form" onSubmit={(event) => void submit(event)} noValidate>
            <div>
              <h1>Create the first administrator</h1>
              <p className="lead">
                This server has no administrator yet. The API printed a one-time setup token when it
                started: the “Console setup” line of its output.
              </p>
            </div>
            <Field label="Email" error={errorOf('email')}>
              <input
                className="input"
                type="email"
                autoComplete="username"
                value={form.email}
                onChange={(event) => set('email')(event.target.value)}
                autoFocus
              />
            </Field>
            <Field label="Name" error={errorOf('name')}>
              <input
                className="input"
                autoComplete="name"
                value={form.name}
                onChange={(event) => set('name')(event.target.value)}
              />
            </Field>
            <Field label="Password" hint="At least 8 characters." error={errorOf('password')}>
              <input
                className="input"
                type="password"
                autoComplete="new-password"
                value={form.password}
                onChange={(event) => set('password')(event.target.value)}
              />
            </Field>
            <Field label="Setup token" error={errorOf('setupToken')}>
              <input
                className="input mono"
                autoComplete="off"
                spellCheck={false}
                value={form.setupToken}
                onChange={(event) => set('setupToken')(event.target.value)}
              />
            </Field>
            {create.error && fieldsWithErrors.length === 0 ? (
              <ErrorNotice
                error={create.error}
                {...(explainError(create.error).kind === 'NotAuthorizedException'
                  ? {
                      title: 'The setup token was not accepted',
                      advice:
                        'Copy the token from the “Console setup” line the API printed when it started (a restart with another secret prints another one).',
                    }
                  : {})}
              />
            ) : null}
            {signInError ? (
              <div className="notice notice-warning" role="alert">
                <strong>The administrator was created, but signing in failed</strong>
                <p>{signInError}</p>
                <p>
                  <Link href="/sign-in">Go to sign in</Link>
                </p>
              </div>
            ) : null}
            <Button type="submit" variant="primary" busy={create.isPending}>
              Create administrator and sign in
            </Button>
            <div className="notice">
              <strong>Or from a terminal</strong>
              <p className="advice">
                On the API’s machine, with the API’s environment (stop an embedded{' '}
                <code>npm start</code> first: its database allows one process at a time):
              </p>
              <pre>{CLI}</pre>
            </div>
          </form>
        )}
      </div>
    </main>
  );
}
