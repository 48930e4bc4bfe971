/**
 * B_http: the cheapest useful HTTP route on this machine — a plain node:http server answering
 * every request with the same small JSON (BENCH_BODY_BYTES long, so it matches the scenario's
 * answer size). Runs in its own process, like the API, and speaks the same IPC: {type: 'ready'}
 * once listening, and answers {cmd: 'stats'}.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { benchEnv } from './env.js';

const size = Math.max(24, benchEnv.bodyBytes);
const body = Buffer.from(JSON.stringify({ ok: true, pad: 'x'.repeat(size - 20) }));

const server = http.createServer((req, res) => {
  // Drain whatever body came with the request, then answer.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}`, pid: process.pid });
});

const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

process.on('message', (message: { cmd?: string; id?: number }) => {
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  process.send?.({
    id: message.id,
    elu: { idle: elu.idle, active: elu.active },
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssBytes: process.memoryUsage.rss(),
    queryTotal: 0,
    queries: {},
  });
});
