/**
 * Loaded into the API child with `node --import` before the API's own entry point
 * (apps/api/src/main.ts, exactly what `npm start` runs), so the bench measures the real thing
 * and still gets what it needs from inside the process, over the IPC channel:
 *
 *   {type: 'ready', url}              sent once the API's HTTP server listens
 *   {cmd: 'stats'}                    event-loop utilisation, CPU time, RSS, SQL statement counts
 *   {cmd: 'reset-queries'}            zero the SQL counts
 *   {cmd: 'profile-start'|'profile-stop', file}
 *                                     V8 CPU profile of just a measurement window
 *
 * With BENCH_COUNT_QUERIES=1 every SQL round trip is counted: they all go through
 * pg.Client#query (pool.query and drizzle included). When the bench goes away (IPC channel
 * closed), the API is sent SIGTERM, which main.ts handles by draining and exiting.
 */
import fs from 'node:fs';
import http from 'node:http';
import inspector from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
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

// Tell the bench where the API listens: the first HTTP server that starts listening.
const createServer = http.createServer.bind(http);
let announced = false;
(http as { createServer: typeof http.createServer }).createServer = ((
  ...args: Parameters<typeof http.createServer>
) => {
  const server = createServer(...args);
  server.once('listening', () => {
    if (announced) return;
    announced = true;
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    process.send?.({ type: 'ready', url: `http://${host}:${address.port}`, pid: process.pid });
  });
  return server;
}) as typeof http.createServer;

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

process.on('message', (message: { cmd?: string; id?: number; file?: string }) => {
  const reply = (body: object) => process.send?.({ id: message.id, ...body });
  const settle = (work: Promise<void>) =>
    work.then(
      () => reply({ ok: true }),
      (error: unknown) => reply({ error: String(error) }),
    );
  switch (message.cmd) {
    case 'stats': {
      const elu = performance.eventLoopUtilization();
      const cpu = process.cpuUsage();
      reply({
        elu: { idle: elu.idle, active: elu.active },
        cpuMs: (cpu.user + cpu.system) / 1000,
        rssBytes: process.memoryUsage.rss(),
        queryTotal,
        queries: Object.fromEntries(queryCounts),
      });
      break;
    }
    case 'reset-queries':
      queryCounts.clear();
      queryTotal = 0;
      reply({ ok: true });
      break;
    case 'profile-start':
      void settle(startProfile());
      break;
    case 'profile-stop':
      void settle(stopProfile(message.file ?? 'api.cpuprofile'));
      break;
    default:
      reply({ error: `unknown command ${String(message.cmd)}` });
  }
});

// The bench went away without stopping us: stop the way an operator would.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
