/**
 * Operator commands:
 *   npm run tandem -- admin:create --email a@b.c --password '…' [--name Ada]
 *   npm run tandem -- pool:create --name "My app" [--no-guests]
 *   npm run tandem -- migrate
 * They use the same environment as the API (DATABASE_URL or the embedded data directory);
 * stop an embedded `npm start` first, as PGlite allows one process at a time.
 */
import { createAdminUser, initAuth } from '@tandem/auth';
import { createIdentityPool } from '@tandem/db';
import { parseArgs } from 'node:util';
import { embeddedSecret, openDatabase } from './app.js';
import { readEnv } from './env.js';

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    email: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
    'no-guests': { type: 'boolean', default: false },
  },
});
const env = readEnv();
const database = await openDatabase(env);
try {
  await database.migrate();
  switch (command) {
    case 'migrate':
      process.stdout.write('Migrations applied.\n');
      break;
    case 'admin:create': {
      if (!values.email || !values.password)
        throw new Error('admin:create needs --email and --password');
      const auth = initAuth({
        database,
        secret: env.BETTER_AUTH_SECRET ?? embeddedSecret(env.TANDEM_HOME),
        baseURL: env.PUBLIC_URL ?? 'http://localhost',
      });
      const result = await createAdminUser(auth, database, {
        email: values.email,
        password: values.password,
        name: values.name,
      });
      process.stdout.write(
        `${result.created ? 'Created' : 'Promoted'} administrator ${values.email}.\n`,
      );
      break;
    }
    case 'pool:create': {
      if (!values.name) throw new Error('pool:create needs --name');
      const pool = await createIdentityPool(database.db, {
        name: values.name,
        allowUnauthenticated: !values['no-guests'],
        region: env.TANDEM_REGION,
      });
      process.stdout.write(`Created identity pool ${pool.id} (${pool.name}).\n`);
      break;
    }
    default:
      process.stderr.write(
        'Commands: migrate | admin:create --email --password [--name] | pool:create --name [--no-guests]\n',
      );
      process.exitCode = 2;
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
