/**
 * The API's HTTP host: one Node server carrying
 *   /trpc/*      the sync and admin API (tRPC: HTTP batching + SSE subscriptions)
 *   /api/auth/*  better-auth (email+password, guests, bearer tokens)
 *   /identitypools/*, and POSTs with `x-amz-target: AWSCognitoIdentityService.*`:
 *                the AWS-compatible API (Cognito Sync REST + SigV4, Cognito Identity credentials)
 *   /healthz /readyz /metrics
 * Bodies over the limit are refused with 413 before any parsing. Shutdown stops accepting,
 * tells live clients to reconnect, drains in-flight requests, then closes the database.
 */
import type { NoopPullCache } from '@tandem/api-router';
import { appRouter, createContextFactory, type ApiDeps } from '@tandem/api-router';
import { isCognitoSyncPath, type AwsCompat } from '@tandem/aws-compat';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { toNodeHandler } from 'better-auth/node';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Logger } from 'pino';
import { isDirectCall, serveDirectCall } from './direct-procedures.js';
import { sendJson } from './json-response.js';
import type { Metrics } from './metrics.js';

export interface ApiServerOptions {
  deps: ApiDeps;
  logger: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
  /** Repeated no-op pulls answered from memory (shared with the AWS surface); closed with the server. */
  noopPulls: NoopPullCache;
  /** The AWS-compatible surface (absent: those paths answer 404). */
  awsCompat?: AwsCompat;
}

export interface ApiServer {
  server: http.Server;
  listen(port: number, host: string): Promise<{ url: string; port: number }>;
  /** Graceful: stop accepting, end live channels, wait for in-flight requests (up to graceMs). */
  close(graceMs?: number): Promise<void>;
}

const procedures = new Set(Object.keys(appRouter._def.procedures));
const REQUEST_ID = /^[\w.-]{1,64}$/;

function routeLabel(path: string): string {
  if (path.startsWith('/trpc/')) {
    const names = path.slice('/trpc/'.length).split(',');
    return names.length === 1 && procedures.has(names[0]!) ? `trpc:${names[0]}` : 'trpc:batch';
  }
  if (path.startsWith('/api/auth/')) return 'auth';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return path.slice(1);
  if (isCognitoSyncPath(path)) return 'cognito-sync';
  return 'other';
}

/** What the tRPC context needs of a request; the full Headers object only if asked for. */
function contextRequest(req: http.IncomingMessage) {
  const { authorization, cookie } = req.headers;
  return { credential: authorization ?? cookie ?? null, headers: () => headersOf(req) };
}

function headersOf(req: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) headers.set(name, value.join(', '));
  }
  return headers;
}

type LoggedRequest = http.IncomingMessage & { requestLog?: () => Logger };

export function createApiServer(options: ApiServerOptions): ApiServer {
  const { deps, logger, metrics } = options;
  const debug = logger.isLevelEnabled('debug');
  const createContext = createContextFactory(deps);
  const authHandler = toNodeHandler(deps.auth);
  const { noopPulls } = options;
  let draining = false;

  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: options.maxBodyBytes,
    createContext: ({ req }) => createContext(contextRequest(req)),
    onError: ({ error, path, req }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        (req as LoggedRequest)
          .requestLog?.()
          .error({ err: error.cause ?? error, procedure: path }, 'procedure failed');
      }
    },
  });

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const search = queryAt === -1 ? '' : url.slice(queryAt);
    const route = routeLabel(path);
    // The request's child logger is made only when something is logged (rare on the hot path).
    let child: Logger | undefined;
    const log = (): Logger => (child ??= logger.child({ reqId: requestId }));
    (req as LoggedRequest).requestLog = log;
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observe(route, req.method ?? 'GET', res.statusCode, seconds);
      // Path only: query strings carry tRPC inputs (tokens, user data) that must not be logged.
      if (debug)
        log().debug(
          { method: req.method, path, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 },
          'request',
        );
    });

    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      if (draining) return sendJson(res, 503, { status: 'draining' });
      deps.database
        .ping()
        .then(() => sendJson(res, 200, { status: 'ready' }))
        .catch(() => sendJson(res, 503, { status: 'database unavailable' }));
      return;
    }
    if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        })
        .catch(() => sendJson(res, 500, { status: 'metrics failed' }));
      return;
    }

    // AWS clients get AWS-shaped answers, the body limit included.
    if (options.awsCompat?.handles(req.method ?? 'GET', path, req.headers)) {
      if (draining) {
        res.setHeader('retry-after', '1');
        return sendJson(res, 503, {
          message: 'Server is shutting down; retry on another instance.',
        });
      }
      options.awsCompat.serve(req, res, requestId);
      return;
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > options.maxBodyBytes) {
      return sendJson(res, 413, {
        error: {
          message: `Request body of ${length} bytes exceeds the limit of ${options.maxBodyBytes} bytes.`,
          code: -32600,
          data: {
            code: 'PAYLOAD_TOO_LARGE',
            httpStatus: 413,
            cognitoError: 'RequestEntityTooLargeException',
          },
        },
      });
    }
    if (path.startsWith('/api/auth/')) {
      authHandler(req, res).catch((err: unknown) => {
        log().error({ err }, 'auth handler failed');
        if (!res.headersSent) sendJson(res, 500, { message: 'Authentication service error' });
      });
      return;
    }
    if (path.startsWith('/trpc/')) {
      if (draining) {
        res.setHeader('retry-after', '1');
        return sendJson(res, 503, {
          message: 'Server is shutting down; retry on another instance.',
        });
      }
      if (isDirectCall(req, path, search)) {
        const request = contextRequest(req);
        const ctx = createContext(request);
        void serveDirectCall({
          req,
          res,
          path,
          search,
          ctx,
          maxBodyBytes: options.maxBodyBytes,
          log,
          credential: request.credential,
          noopPulls,
        });
        return;
      }
      void trpcHandler(req, res);
      return;
    }
    sendJson(res, 404, { message: 'Not found' });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          const actualPort = typeof address === 'object' && address ? address.port : port;
          resolve({
            url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
            port: actualPort,
          });
        });
      });
    },
    async close(graceMs = 10_000) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.changeFeed.close();
      noopPulls.close();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
