'use client';
/**
 * Every page's frame and the console's gate: signed-out visitors go to sign-in (or to the
 * one-time setup while the server has no admin), non-admins see only a notice and sign out,
 * admins get the top bar and the page.
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, type ReactNode } from 'react';
import { isAdmin, useSession, useSignOut, type SessionUser } from '../lib/session';
import { useTRPC } from '../lib/trpc';
import { Button } from './button';
import { ErrorNotice, Loading } from './states';

const PUBLIC_PATHS = ['/sign-in', '/setup'];

export function Brand({ href = '/pools' }: { href?: string }) {
  return (
    <Link href={href} className="brand" aria-label="Tandem console, identity pools">
      <span className="brand-mark" aria-hidden="true">
        T
      </span>
      <span>
        Tandem <span className="brand-sub">Console</span>
      </span>
    </Link>
  );
}

/** Whether the server still waits for its first admin (false if it cannot say). */
export function useNeedsFirstAdmin() {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.setup.status.queryOptions(), retry: false, staleTime: 30_000 });
  return { loading: status.isPending, needsFirstAdmin: status.data?.needsFirstAdmin ?? false };
}

export function AppShell({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const isPublic = PUBLIC_PATHS.some(
    (path) => pathname === path || pathname.startsWith(`${path}/`),
  );
  if (isPublic) return <>{children}</>;
  return <Gate>{children}</Gate>;
}

function Gate({ children }: { children: ReactNode }) {
  const session = useSession();
  const setup = useNeedsFirstAdmin();
  const router = useRouter();
  const pathname = usePathname();
  const signedOut = session.isSuccess && session.data === null;

  useEffect(() => {
    if (!signedOut || setup.loading) return;
    if (setup.needsFirstAdmin) router.replace('/setup');
    else router.replace(`/sign-in?next=${encodeURIComponent(pathname)}`);
  }, [signedOut, setup.loading, setup.needsFirstAdmin, router, pathname]);

  if (session.isError) {
    return (
      <main className="auth-screen">
        <div className="card auth-card">
          <Brand />
          <ErrorNotice
            error={session.error}
            title="The console cannot check your session"
            advice="Check that the Tandem API is running and that the console’s TANDEM_API_URL points to it, then try again."
            onRetry={() => void session.refetch()}
          />
        </div>
      </main>
    );
  }
  if (session.isPending || signedOut) {
    return (
      <main className="auth-screen">
        <Loading label="Checking your session…" />
      </main>
    );
  }
  const user = session.data!;
  if (!isAdmin(user)) return <NotAdmin user={user} />;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <TopBar user={user} />
      <main id="main" className="page">
        {children}
      </main>
    </>
  );
}

function TopBar({ user }: { user: SessionUser }) {
  const signOut = useSignOut();
  return (
    <header className="topbar">
      <Brand />
      <div className="topbar-spacer" />
      <div className="topbar-user">
        <span className="who" data-testid="signed-in-admin" title={user.email}>
          {user.email}
        </span>
        <Button variant="ghost" size="sm" onClick={() => void signOut()}>
          Sign out
        </Button>
      </div>
    </header>
  );
}

function NotAdmin({ user }: { user: SessionUser }) {
  const signOut = useSignOut();
  return (
    <main className="auth-screen">
      <div className="card auth-card" data-testid="not-admin">
        <Brand />
        <div className="notice notice-warning" role="alert">
          <strong>This account is not an admin</strong>
          <p>
            You are signed in as <strong>{user.email}</strong>. The Tandem console is for
            administrators only.
          </p>
          <p className="advice">
            Sign out and sign in with an administrator account, or ask an administrator to give this
            account the admin role.
          </p>
        </div>
        <Button variant="primary" onClick={() => void signOut()}>
          Sign out
        </Button>
      </div>
    </main>
  );
}
