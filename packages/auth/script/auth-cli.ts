/**
 * Config read by the better-auth CLI to generate packages/db/src/schema/auth.ts:
 *   npm run auth:generate --workspace @tandem/auth
 * The database is a stand-in: the CLI only needs the provider to choose the dialect.
 */
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { authPlugins } from '../src/plugins.js';

export const auth = betterAuth({
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  database: drizzleAdapter({} as any, { provider: 'pg' }),
  emailAndPassword: { enabled: true },
  plugins: [...authPlugins()],
  telemetry: { enabled: false },
});
