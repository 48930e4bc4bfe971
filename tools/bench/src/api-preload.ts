/**
 * Loaded into the API child with `node --import` before the API's own entry point
 * (apps/api/src/main.ts, exactly what `npm start` runs), so the bench measures the real thing
 * and still gets what it needs from inside the process, over the IPC channel:
 *
 *   {cmd: 'stats'}                    event-loop utilisation, CPU time, RSS, SQL statement counts
 *   {cmd: 'reset-queries'}            zero the SQL counts
 *   {cmd: 'profile-start'|'profile-stop', file}
 *                                     V8 CPU profile of just a measurement window
 *
 * (The bench knows the API is ready, and where, from the banner main.ts prints on stdout.)
 *
 * With API_WORKERS > 1 the child is a node:cluster primary that serves no requests, and its
 * workers inherit this preload (cluster forks with the same execArgv). The primary relays each
 * command to every worker and answers with the sum: event-loop times add up (so their ratio is
 * the workers' mean utilisation), as do CPU, RSS and SQL counts; each worker writes its own
 * profile, `<file>.worker<id>.cpuprofile`.
 *
 * With BENCH_COUNT_QUERIES=1 every SQL round trip is counted: they all go through
 * pg.Client#query (pool.query and drizzle included). When the bench goes away (IPC channel
 * closed), the API is sent SIGTERM, which main.ts handles by draining and exiting.
 */
import cluster, { type Worker } from 'node:cluster';
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { benchEnv } from './env.js';

const queryCounts = new Map<string, number>();
let queryTotal = 0;

if (benchEnv.countQueries) {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text =
      typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '?');
    const label = text.replace(/\s+/g, ' ').trim().slice(0, 160);
    queryCounts.set(label, (queryCounts.get(label) ?? 0) + 1);
    queryTotal++;
    return original.apply(this, args);
  };
}

let profiler: inspector.Session | null = null;

async function startProfile(): Promise<void> {
  profiler = new inspector.Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 250 });
  await profiler.post('Profiler.start');
}

async function stopProfile(file: string): Promise<void> {
  if (!profiler) throw new Error('no profile running');
  const { profile } = await profiler.post('Profiler.stop');
  fs.writeFileSync(file, JSON.stringify(profile));
  profiler.disconnect();
  profiler = null;
}

interface Command {
  cmd?: string;
  id?: number;
  file?: string;
  /** Set on commands a cluster primary relays to its workers (and on their answers). */
  relay?: number;
}

interface Stats {
  elu: { idle: number; active: number };
  cpuMs: number;
  rssBytes: number;
  queryTotal: number;
  queries: Record<string, number>;
  /** Processes the numbers are summed over. */
  workers: number;
}

type Answer = ({ ok: true } | Stats | { error: string }) & { files?: string[] };

/** This process's own answer. */
async function answerHere(message: Command): Promise<Answer> {
  try {
    switch (message.cmd) {
      case 'stats': {
        const elu = performance.eventLoopUtilization();
        const cpu = process.cpuUsage();
        return {
          elu: { idle: elu.idle, active: elu.active },
          cpuMs: (cpu.user + cpu.system) / 1000,
          rssBytes: process.memoryUsage.rss(),
          queryTotal,
          queries: Object.fromEntries(queryCounts),
          workers: 1,
        };
      }
      case 'reset-queries':
        queryCounts.clear();
        queryTotal = 0;
        return { ok: true };
      case 'profile-start':
        await startProfile();
        return { ok: true };
      case 'profile-stop': {
        let file = message.file ?? 'api.cpuprofile';
        if (cluster.worker)
          file = file.replace(/(\.cpuprofile)?$/, `.worker${cluster.worker.id}$1`);
        await stopProfile(file);
        return { ok: true, files: [file] };
      }
      default:
        return { error: `unknown command ${String(message.cmd)}` };
    }
  } catch (error) {
    return { error: String(error) };
  }
}

let nextRelay = 1;

function askWorker(worker: Worker, message: Command): Promise<Answer> {
  const relay = nextRelay++;
  return new Promise((resolve) => {
    const done = (answer: Answer) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(answer);
    };
    const onMessage = (reply: Command & Answer) => {
      if (reply.relay === relay) done(reply);
    };
    const onExit = () => done({ error: `worker ${worker.id} exited` });
    const timer = setTimeout(() => done({ error: `worker ${worker.id} did not answer` }), 50_000);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    worker.send({ cmd: message.cmd, file: message.file, relay });
  });
}

/** A cluster primary: every worker's answer, summed. */
async function answerForWorkers(message: Command, workers: Worker[]): Promise<Answer> {
  const answers = await Promise.all(workers.map((worker) => askWorker(worker, message)));
  const failed = answers.find((a): a is { error: string } => 'error' in a);
  if (failed) return failed;
  if (message.cmd !== 'stats') return { ok: true, files: answers.flatMap((a) => a.files ?? []) };
  const sum: Stats = {
    elu: { idle: 0, active: 0 },
    cpuMs: 0,
    rssBytes: 0,
    queryTotal: 0,
    queries: {},
    workers: 0,
  };
  for (const stats of answers as Stats[]) {
    sum.elu.idle += stats.elu.idle;
    sum.elu.active += stats.elu.active;
    sum.cpuMs += stats.cpuMs;
    sum.rssBytes += stats.rssBytes;
    sum.queryTotal += stats.queryTotal;
    for (const [sql, n] of Object.entries(stats.queries))
      sum.queries[sql] = (sum.queries[sql] ?? 0) + n;
    sum.workers += stats.workers;
  }
  return sum;
}

if (cluster.isWorker) {
  // A worker of a clustered API: its primary relays the bench's commands.
  process.on('message', (message: Command) => {
    if (typeof message?.relay !== 'number') return;
    void answerHere(message).then((answer) => process.send?.({ ...answer, relay: message.relay }));
  });
} else {
  process.on('message', (message: Command) => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    const answer = workers.length > 0 ? answerForWorkers(message, workers) : answerHere(message);
    void answer.then((body) => process.send?.({ ...body, id: message.id }));
  });
  // The bench went away without stopping us: stop the way an operator would.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
