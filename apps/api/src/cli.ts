/**
 * Operator commands:
 *   npm run tandem -- admin:create --email a@b.c --password '…' [--name Ada]
 *   npm run tandem -- pool:create --name "My app" [--no-guests]
 *   npm run tandem -- migrate
 *   npm run tandem -- import:cognito --pool <poolId> --file <path> [--remap-pool] [--dry-run]
 *     Loads a Cognito Streams / bulk-publish export (JSON Lines, a JSON array, or Kinesis
 *     records with base64 `Data`, e.g. `aws kinesis get-records` output) into the pool, keeping
 *     the identity ids (packages/aws-compat/src/import/cognito-export.ts). `--remap-pool` imports
 *     records naming another pool (the AWS pool id); `--dry-run` reports without writing. Prints
 *     one line per finding and the summary as a final JSON line; exits 1 on unreadable lines or
 *     failed datasets.
 * They use the same environment as the API (DATABASE_URL or the embedded data directory);
 * stop an embedded `npm start` first, as PGlite allows one process at a time.
 */
import { createAdminUser, initAuth } from '@tandem/auth';
import { importCognitoExport, parseCognitoExport } from '@tandem/aws-compat';
import { ChangeFeed, createIdentityPool } from '@tandem/db';
import { readFile } from 'node:fs/promises';
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
    pool: { type: 'string' },
    file: { type: 'string' },
    'remap-pool': { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
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
    case 'import:cognito': {
      if (!values.pool || !values.file) throw new Error('import:cognito needs --pool and --file');
      const dryRun = values['dry-run'];
      const parsed = parseCognitoExport(await readFile(values.file, 'utf8'));
      const out = (line: string) => process.stdout.write(`${line}\n`);
      for (const error of parsed.errors) out(`error: line ${error.line}: ${error.message}`);
      for (const skip of parsed.skipped)
        out(`skipped: line ${skip.line}: ${skip.identityId}/${skip.datasetName}: ${skip.reason}`);
      if (parsed.errors.length > 0) {
        out(`Not imported: ${parsed.errors.length} unreadable line(s); fix or remove them.`);
        out(JSON.stringify({ parseErrors: parsed.errors, skipped: parsed.skipped }));
        process.exitCode = 1;
        break;
      }
      // Announce the writes to running servers (PostgreSQL NOTIFY); the worker reads the log.
      const feed = await ChangeFeed.start(database);
      try {
        const summary = await importCognitoExport(database, {
          identityPoolId: values.pool,
          records: parsed.records,
          dryRun,
          remapPool: values['remap-pool'],
          onChange: (change) => feed.publish([change]),
        });
        for (const failure of summary.failed)
          out(
            `failed: ${failure.identityId}/${failure.datasetName ?? '*'}: ${failure.error}: ${failure.message}`,
          );
        const verb = dryRun ? 'Would import' : 'Imported';
        out(
          `${verb} ${parsed.records.length} stream record(s) into ${values.pool}: ` +
            `${summary.identitiesCreated} identit${summary.identitiesCreated === 1 ? 'y' : 'ies'} created, ` +
            `${summary.datasetsWritten} dataset(s) written (${summary.recordsWritten} record(s)), ` +
            `${summary.datasetsDeleted} deleted, ${summary.datasetsUnchanged} unchanged, ` +
            `${parsed.skipped.length + summary.skipped.length} skipped, ${summary.failed.length} failed.`,
        );
        out(JSON.stringify({ ...summary, skipped: [...parsed.skipped, ...summary.skipped] }));
        if (summary.failed.length > 0) process.exitCode = 1;
      } finally {
        await feed.close();
      }
      break;
    }
    default:
      process.stderr.write(
        'Commands: migrate | admin:create --email --password [--name] | pool:create --name [--no-guests]\n' +
          '  | import:cognito --pool <poolId> --file <path> [--remap-pool] [--dry-run]\n',
      );
      process.exitCode = 2;
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
