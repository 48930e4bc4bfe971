/**
 * A direct path for the two calls every device makes on every sync, `record.list` (GET) and
 * `record.update` (POST), when sent unbatched (as httpLink and the AWS-style clients do).
 * It runs the very same procedure — input/output validation, middlewares, error formatter — via
 * tRPC's `callProcedure`, and writes tRPC's own response shapes, but skips the adapter's
 * conversion of every request into Fetch `Request`/`Response` objects, which the bench showed
 * costing about a sixth of the API's CPU per sync. Anything else (batches, other procedures,
 * wrong methods) falls through to the standard tRPC handler.
 */
import { appRouter, callerIdentity, type Context, NoopPullCache } from '@tandem/api-router';
import { callTRPCProcedure, getErrorShape, getTRPCErrorFromUnknown, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type http from 'node:http';
import type { Logger } from 'pino';
import { sendJsonText } from './json-response.js';

const DIRECT: Record<string, { type: 'query' | 'mutation'; method: string }> = {
  '/trpc/record.list': { type: 'query', method: 'GET' },
  '/trpc/record.update': { type: 'mutation', method: 'POST' },
};

/** Whether the direct path serves this request (else use the tRPC handler). */
export function isDirectCall(req: http.IncomingMessage, path: string, search: string): boolean {
  const route = DIRECT[path];
  if (route === undefined || req.method !== route.method || search.includes('batch=')) return false;
  // Other content types get tRPC's own answer (415).
  const contentType = req.headers['content-type'];
  return route.type === 'query' || !contentType || contentType.startsWith('application/json');
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop reading; the 413 is sent with `connection: close`.
        req.off('data', onData);
        reject(new TRPCError({ code: 'PAYLOAD_TOO_LARGE' }));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseInput(text: string | null): unknown {
  if (text === null || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'The input is not valid JSON', cause });
  }
}

export async function serveDirectCall(options: {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  path: string;
  search: string;
  ctx: Context;
  maxBodyBytes: number;
  log: () => Logger;
  credential: string | null;
  noopPulls: NoopPullCache;
}): Promise<void> {
  const { req, res, ctx, noopPulls } = options;
  const route = DIRECT[options.path]!;
  const procedurePath = options.path.slice('/trpc/'.length);
  const cacheKey =
    route.type === 'query' && options.credential && noopPulls.enabled
      ? NoopPullCache.key(options.credential, options.search)
      : null;
  const cached = cacheKey ? noopPulls.get(cacheKey) : undefined;
  if (cached !== undefined) return sendJsonText(res, 200, cached);
  const mark = noopPulls.mark();
  let input: unknown;
  let status = 200;
  let body: string;
  try {
    const text =
      route.type === 'query'
        ? new URLSearchParams(options.search).get('input')
        : await readBody(req, options.maxBodyBytes);
    const data = await callTRPCProcedure({
      router: appRouter,
      path: procedurePath,
      // Parsed only when the procedure asks, after its auth middleware, as tRPC does.
      getRawInput: async () => (input = parseInput(text)),
      ctx,
      type: route.type,
      signal: undefined,
      batchIndex: 0,
    });
    body = JSON.stringify({ result: { data } });
    if (cacheKey && isNoopPull(data)) await remember(options, cacheKey, input, body, mark);
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause);
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      options
        .log()
        .error({ err: error.cause ?? error, procedure: procedurePath }, 'procedure failed');
    }
    status = getHTTPStatusCodeFromError(error);
    const shape = getErrorShape({
      config: appRouter._def._config,
      error,
      type: route.type,
      path: procedurePath,
      input,
      ctx,
    });
    body = JSON.stringify({ error: shape });
  }
  sendJsonText(res, status, body);
}

/** An answer worth keeping: nothing to deliver, nothing more to page. */
function isNoopPull(data: unknown): boolean {
  const page = data as { records?: unknown[]; nextToken?: unknown };
  return Array.isArray(page.records) && page.records.length === 0 && page.nextToken === null;
}

async function remember(
  options: { ctx: Context; noopPulls: NoopPullCache },
  key: string,
  input: unknown,
  body: string,
  mark: number,
): Promise<void> {
  const user = await options.ctx.user();
  if (!user) return;
  // Cached already by the call just made; this only names the identity for invalidation.
  const identity = await callerIdentity(
    options.ctx.deps,
    user,
    input as { identityPoolId: string; identityId?: string },
  );
  options.noopPulls.set(key, identity.id, body, mark);
}
