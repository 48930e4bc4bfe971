/**
 * API_WORKERS > 1: one host runs N API processes on one port (node:cluster), so the API uses
 * more than one core.
 *
 * The primary serves no requests. It prepares once — migrations (MIGRATE_ON_START), the
 * generated secret when BETTER_AUTH_SECRET is unset (every worker then reads the same file), the
 * default identity pool — closes that connection, forks N workers with MIGRATE_ON_START=false
 * and DEFAULT_POOL_NAME='' (nothing left for them to race on), waits until every one listens
 * and prints the banner. The primary accepts connections and hands each to a worker (cluster's
 * round-robin on Linux and macOS); a connection stays on its worker, so PORT=0 works (every
 * worker shares the one port the primary picked). Workers hear each other's writes through the
 * ChangeFeed (NOTIFY on PostgreSQL), which is why cluster mode needs DATABASE_URL.
 *
 * Shutdown: SIGINT/SIGTERM on the primary sends SIGTERM to every worker (each drains as a single
 * process does: api.stop()), waits for all of them and exits 0 (1 if one failed or had to be
 * killed after SHUTDOWN_GRACE_MS + 5 s). A second signal kills the workers and exits 1 at once.
 * Workers ignore SIGINT (a terminal's Ctrl-C reaches the whole process group; the primary
 * decides). A worker that dies otherwise is logged and re-forked after a backoff: 250 ms,
 * doubling up to 10 s, back to 250 ms once a worker has lived 30 s. A worker that dies before
 * every worker listened fails the start: the others are stopped and the primary exits 1.
 *
 * Logs stay pino JSON; every line carries `worker` (0 for the primary, else the cluster worker
 * id; a re-forked worker gets a new id) and `pid`.
 */
import cluster, { type Worker } from 'node:cluster';
import { pino, type Logger } from 'pino';
import { prepareOnce, startApi, type RunningApi } from './app.js';
import type { Env } from './env.js';
import { drainOnSignals, printBanner } from './host.js';

const LISTENING = 'tandem:listening';
const RESTART_FIRST_MS = 250;
const RESTART_MAX_MS = 10_000;
const STABLE_AFTER_MS = 30_000;
/** How much longer than the workers' own grace period the primary waits before killing them. */
const STOP_MARGIN_MS = 5_000;

/** What the primary changes in its workers' environment: it has done these itself, once. */
export const WORKER_ENV: Readonly<Record<string, string>> = {
  MIGRATE_ON_START: 'false',
  DEFAULT_POOL_NAME: '',
};

/** A worker tells its primary it listens (and where). */
interface ListeningMessage {
  type: typeof LISTENING;
  url: string;
}

const isListening = (message: unknown): message is ListeningMessage =>
  typeof message === 'object' &&
  message !== null &&
  (message as { type?: unknown }).type === LISTENING &&
  typeof (message as { url?: unknown }).url === 'string';

const clusterLogger = (env: Env, worker: number): Logger =>
  pino({ level: env.LOG_LEVEL, base: { service: 'api', worker, pid: process.pid } });

interface Slot {
  worker: Worker | null;
  listening: boolean;
  startedAt: number;
  /** Consecutive early deaths, for the restart backoff. */
  failures: number;
  restartTimer: NodeJS.Timeout | null;
}

export async function runPrimary(env: Env): Promise<void> {
  const logger = clusterLogger(env, 0);
  const { defaultPool, setupToken } = await prepareOnce(env, logger).catch((err: unknown) => {
    logger.fatal({ err }, 'start-up failed');
    process.exit(1);
  });

  const slots: Slot[] = Array.from({ length: env.API_WORKERS }, () => ({
    worker: null,
    listening: false,
    startedAt: 0,
    failures: 0,
    restartTimer: null,
  }));
  const live = (): Worker[] => slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));
  let started = false;
  let stopping = false;
  let failed = false;

  const finish = (): never => {
    logger.info({ exitCode: failed ? 1 : 0 }, 'stopped');
    process.exit(failed ? 1 : 0);
  };

  const stop = (): void => {
    stopping = true;
    for (const slot of slots) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.restartTimer = null;
    }
    const workers = live();
    if (workers.length === 0) finish();
    for (const worker of workers) worker.process.kill('SIGTERM');
    setTimeout(() => {
      logger.error(
        { workers: live().map((w) => w.process.pid) },
        'workers did not stop in time: killing them',
      );
      failed = true;
      for (const worker of live()) worker.process.kill('SIGKILL');
    }, env.SHUTDOWN_GRACE_MS + STOP_MARGIN_MS).unref();
  };

  const fork = (slot: Slot): void => {
    slot.restartTimer = null;
    slot.startedAt = Date.now();
    slot.listening = false;
    const worker = cluster.fork({
      ...WORKER_ENV,
      ...(defaultPool ? { DEFAULT_POOL_ID: defaultPool.id } : {}),
    });
    const pid = worker.process.pid;
    slot.worker = worker;

    worker.on('message', (message: unknown) => {
      if (!isListening(message) || slot.listening) return;
      slot.listening = true;
      if (started || stopping || !slots.every((s) => s.listening)) return;
      started = true;
      logger.info(
        { url: message.url, database: 'postgres', workers: slots.length },
        'Tandem API listening',
      );
      printBanner(env, { url: message.url, defaultPool, workers: slots.length, setupToken });
    });

    worker.on('exit', (code, signal) => {
      if (slot.worker === worker) {
        slot.worker = null;
        slot.listening = false;
      }
      if (stopping) {
        if (code !== 0 && code !== null) failed = true;
        if (live().length === 0) finish();
        return;
      }
      if (!started) {
        logger.fatal(
          { workerId: worker.id, workerPid: pid, code, signal },
          'a worker exited during start-up: stopping',
        );
        failed = true;
        stop();
        return;
      }
      if (Date.now() - slot.startedAt >= STABLE_AFTER_MS) slot.failures = 0;
      const delay = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** slot.failures);
      slot.failures++;
      logger.error(
        { workerId: worker.id, workerPid: pid, code, signal, restartInMs: delay },
        'worker exited unexpectedly: starting a new one',
      );
      slot.restartTimer = setTimeout(() => fork(slot), delay);
    });
  };

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: killing the workers');
        for (const worker of live()) worker.process.kill('SIGKILL');
        process.exit(1);
      }
      logger.info({ signal, workers: live().length }, 'shutting down: draining the workers');
      stop();
    });
  }

  logger.info({ workers: slots.length }, 'starting workers');
  for (const slot of slots) fork(slot);
}

export async function runWorker(env: Env): Promise<void> {
  const logger = clusterLogger(env, cluster.worker?.id ?? -1);
  // Ctrl-C in a terminal signals the whole process group: the primary decides, with SIGTERM.
  process.on('SIGINT', () => logger.debug('SIGINT ignored: the primary coordinates shutdown'));
  let api: RunningApi;
  try {
    api = await startApi(env, { logger, clusterWorker: true });
  } catch (err) {
    logger.fatal({ err }, 'worker failed to start');
    process.exit(1);
  }
  drainOnSignals(api, logger, ['SIGTERM']);
  logger.info({ url: api.url }, 'worker listening');
  process.send?.({ type: LISTENING, url: api.url } satisfies ListeningMessage);
}
