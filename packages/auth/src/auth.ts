import { adoptGuestIdentities, schema, type Database } from '@tandem/db';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { authPlugins } from './plugins.js';

export interface InitAuthOptions {
  database: Database;
  secret: string;
  /** Public URL of the API (where /api/auth is served). */
  baseURL: string;
  trustedOrigins?: string[] | undefined;
  /** Called after a guest's identities were adopted or merged into the account it signed in to. */
  onGuestLinked?: ((result: Awaited<ReturnType<typeof adoptGuestIdentities>>) => void) | undefined;
  /** Email+password sign-in rate limit (better-auth's limiter); off in tests. */
  rateLimit?: boolean | undefined;
}

/**
 * better-auth for Tandem: email+password accounts, anonymous guests, an admin role for console
 * users, bearer tokens for devices. When a guest signs in (or signs up) from its guest session,
 * its identities are adopted or merged into the account's (spec §7.8) before the guest user is
 * deleted.
 */
export function initAuth(options: InitAuthOptions) {
  const { db } = options.database;
  return betterAuth({
    database: drizzleAdapter(db, { provider: 'pg', schema }),
    secret: options.secret,
    baseURL: options.baseURL,
    basePath: '/api/auth',
    trustedOrigins: options.trustedOrigins ?? [],
    emailAndPassword: { enabled: true, minPasswordLength: 8 },
    rateLimit: { enabled: options.rateLimit ?? false },
    telemetry: { enabled: false },
    plugins: [
      ...authPlugins(async ({ anonymousUser, newUser }) => {
        if (anonymousUser.user.id === newUser.user.id) return;
        const result = await adoptGuestIdentities(db, {
          guestUserId: anonymousUser.user.id,
          userId: newUser.user.id,
        });
        options.onGuestLinked?.(result);
      }),
    ],
  });
}

export type Auth = ReturnType<typeof initAuth>;

export interface SessionUser {
  userId: string;
  email: string;
  isAnonymous: boolean;
  isAdmin: boolean;
}

/** The signed-in user behind a request's cookie or bearer token, or null. */
export async function getSessionUser(auth: Auth, headers: Headers): Promise<SessionUser | null> {
  const session = await auth.api.getSession({ headers });
  if (!session) return null;
  const user = session.user as typeof session.user & {
    isAnonymous?: boolean | null;
    role?: string | null;
  };
  return {
    userId: user.id,
    email: user.email,
    isAnonymous: Boolean(user.isAnonymous),
    isAdmin: (user.role ?? '').split(',').includes('admin'),
  };
}
