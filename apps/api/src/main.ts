/**
 * The API's entry point (`npm start`): one process, or with API_WORKERS > 1 a node:cluster
 * primary and its workers (cluster.ts). This file runs in all of them.
 */
import cluster from 'node:cluster';
import { startApi } from './app.js';
import { runPrimary, runWorker } from './cluster.js';
import { readEnv, type Env } from './env.js';
import { drainOnSignals, printBanner } from './host.js';

let env: Env;
try {
  env = readEnv();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

if (cluster.isWorker) {
  await runWorker(env);
} else if (env.API_WORKERS > 1) {
  await runPrimary(env);
} else {
  const api = await startApi(env);
  api.logger.info(
    { url: api.url, database: env.DATABASE_URL ? 'postgres' : 'embedded' },
    'Tandem API listening',
  );
  printBanner(env, {
    url: api.url,
    defaultPool: api.defaultPool,
    workers: 1,
    setupToken: api.setupToken,
  });
  drainOnSignals(api, api.logger);
}
