'use client';
/**
 * The admin's better-auth session, through the console's /api/auth proxy: the session cookie
 * lives on the console's origin. `role` comes from better-auth's admin plugin; only 'admin'
 * may use the console (the API refuses admin procedures to anyone else anyway).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: string | null;
}

export const SESSION_KEY = ['auth', 'session'] as const;

export const isAdmin = (user: SessionUser) => (user.role ?? '').split(',').includes('admin');

async function authFetch(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`/api/auth/${path}`, {
    credentials: 'same-origin',
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
  });
}

/** better-auth answers errors as `{ code, message }`. */
async function authErrorMessage(response: Response, fallback: string): Promise<string> {
  try {
    const body = (await response.json()) as { message?: string; error?: { message?: string } };
    return body.message ?? body.error?.message ?? fallback;
  } catch {
    return fallback;
  }
}

async function fetchSession(): Promise<SessionUser | null> {
  const response = await authFetch('get-session', { method: 'GET' });
  if (!response.ok) {
    throw new Error(
      await authErrorMessage(response, `The session check failed (${response.status}).`),
    );
  }
  const body = (await response.json()) as { user?: SessionUser } | null;
  return body?.user ?? null;
}

export function useSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: 60_000, retry: 1 });
}

export async function signInWithEmail(email: string, password: string): Promise<SessionUser> {
  const response = await authFetch('sign-in/email', {
    method: 'POST',
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) {
    const message = await authErrorMessage(response, 'Sign-in failed.');
    throw new Error(
      response.status === 401 ? `${message}. Check the email and password.` : message,
    );
  }
  return ((await response.json()) as { user: SessionUser }).user;
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return useCallback(async () => {
    await authFetch('sign-out', { method: 'POST', body: '{}' }).catch(() => undefined);
    queryClient.clear();
    window.location.assign('/sign-in');
  }, [queryClient]);
}
