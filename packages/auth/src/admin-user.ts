import { schema, type Database } from '@tandem/db';
import { eq } from 'drizzle-orm';
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
