import { releaseSetupLock, schema, tryAcquireSetupLock, type Database } from '@tandem/db';
import { invalidParameter, SyncError } from '@tandem/domain';
import { APIError } from 'better-auth/api';
import { eq, sql } from 'drizzle-orm';
import type { Auth } from './auth.js';

/**
 * Creates a console administrator (or promotes an existing account). Used by the CLI on first
 * run and by tests; there is no HTTP route that can make an admin without being one.
 */
export async function createAdminUser(
  auth: Auth,
  database: Database,
  args: { email: string; password: string; name?: string | undefined },
): Promise<{ userId: string; created: boolean }> {
  const [existing] = await database.db
    .select({ id: schema.user.id })
    .from(schema.user)
    .where(eq(schema.user.email, args.email.toLowerCase()));
  let userId = existing?.id;
  if (!userId) {
    const result = await auth.api.signUpEmail({
      body: { email: args.email, password: args.password, name: args.name ?? args.email },
    });
    userId = result.user.id;
  }
  await database.db.update(schema.user).set({ role: 'admin' }).where(eq(schema.user.id, userId));
  return { userId, created: !existing };
}

/** Whether any user has the admin role (roles are a comma-separated list). */
export async function hasAdminUser(database: Database): Promise<boolean> {
  const [row] = await database.db
    .select({ id: schema.user.id })
    .from(schema.user)
    .where(sql`'admin' = any(string_to_array(${schema.user.role}, ','))`)
    .limit(1);
  return row !== undefined;
}

const FIRST_ADMIN_LOCK = 'first-admin';
/** Long enough for one sign-up; a holder that crashed blocks first-run setup this long. */
const FIRST_ADMIN_LOCK_TTL_MS = 60_000;

/**
 * First-run setup: creates the first administrator, only while none exists. Concurrent calls
 * (from any replica) take a lock row in turn and re-check for an administrator under it, so
 * exactly one creates one; the others get ResourceConflictException. The caller checks the
 * setup token first.
 */
export async function createFirstAdminUser(
  auth: Auth,
  database: Database,
  args: { email: string; password: string; name: string },
): Promise<{ userId: string; email: string }> {
  const taken = () =>
    new SyncError(
      'ResourceConflictException',
      'An administrator already exists: sign in, or ask an administrator for an account.',
    );
  if (await hasAdminUser(database)) throw taken();
  const holder = await tryAcquireSetupLock(database.db, FIRST_ADMIN_LOCK, FIRST_ADMIN_LOCK_TTL_MS);
  if (!holder) {
    throw new SyncError(
      'ResourceConflictException',
      'The first administrator is being created by another request.',
    );
  }
  try {
    if (await hasAdminUser(database)) throw taken();
    const email = args.email.toLowerCase();
    const [existing] = await database.db
      .select({ id: schema.user.id })
      .from(schema.user)
      .where(eq(schema.user.email, email));
    if (existing) {
      // Promoting an account needs its password, which this request does not prove it knows.
      throw new SyncError(
        'ResourceConflictException',
        'An account with this email already exists: choose another email, or promote that account with `npm run tandem --workspace @tandem/api -- admin:create`.',
      );
    }
    try {
      const { userId } = await createAdminUser(auth, database, { ...args, email });
      return { userId, email };
    } catch (error) {
      if (error instanceof APIError && error.statusCode < 500) {
        throw invalidParameter(error.message || 'The account could not be created.');
      }
      throw error;
    }
  } finally {
    await releaseSetupLock(database.db, FIRST_ADMIN_LOCK, holder);
  }
}
