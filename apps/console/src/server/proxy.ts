/**
 * Serves the API under the console's origin: /trpc/* and /api/auth/* are forwarded to
 * TANDEM_API_URL with their method, headers and body, and the API's response (status, headers,
 * cookies, streamed body) comes back unchanged. Being same-origin, the browser keeps
 * better-auth's session cookie on the console's origin and sends it with every call.
 *
 * CSRF: the session is a cookie, so a state-changing request (anything but GET/HEAD/OPTIONS)
 * is refused unless its Origin is the console's own; a cross-site page cannot forge Origin. The
 * request then goes on with Origin set to the API's own origin, which better-auth trusts (it
 * checks Origin against its base URL when NODE_ENV=production).
 */
import { readEnv } from '../env';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones fetch sets itself. */
const DROPPED_REQUEST_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'content-length',
  'accept-encoding',
  'expect',
]);
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'trailer',
  // fetch decodes compressed bodies; the length and encoding no longer describe what we send.
  'content-encoding',
  'content-length',
]);

/**
 * Whether `origin` is the console's own: CONSOLE_PUBLIC_URL's origin when set, else the host
 * the browser addressed (its Host header, which a page cannot forge; X-Forwarded-Host could
 * be, so it is not trusted). The scheme is not compared: behind a TLS proxy the request
 * arrives over http while the page's origin is https.
 */
function isOwnOrigin(origin: string | null, request: Request, configured: string | null): boolean {
  if (!origin || origin === 'null') return false;
  if (configured) return origin === configured;
  const host = request.headers.get('host') ?? new URL(request.url).host;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function jsonError(status: number, message: string): Response {
  // The shape of a tRPC error, so the console's tRPC client shows the message as is.
  return Response.json(
    {
      error: {
        message,
        code: -32600,
        data: { code: status === 403 ? 'FORBIDDEN' : 'BAD_GATEWAY', httpStatus: status },
      },
    },
    { status },
  );
}

export async function forwardToApi(request: Request): Promise<Response> {
  const env = readEnv();
  const method = request.method.toUpperCase();
  if (!SAFE_METHODS.has(method)) {
    const origin = request.headers.get('origin');
    if (!isOwnOrigin(origin, request, env.publicOrigin)) {
      return jsonError(
        403,
        `Refused: a ${method} request to the console must come from a page of the console, not from ${origin ?? 'an unknown origin'}.`,
      );
    }
  }

  const incoming = new URL(request.url);
  const target = new URL(incoming.pathname + incoming.search, env.apiUrl);
  const headers = new Headers();
  for (const [name, value] of request.headers) {
    if (!DROPPED_REQUEST_HEADERS.has(name)) headers.set(name, value);
  }
  if (headers.has('origin')) headers.set('origin', env.apiUrl.origin);
  headers.delete('referer');
  headers.set('accept-encoding', 'identity');

  const hasBody = method !== 'GET' && method !== 'HEAD';
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method,
      headers,
      redirect: 'manual',
      signal: request.signal,
      ...(hasBody ? { body: request.body, duplex: 'half' } : {}),
    } as RequestInit);
  } catch (error) {
    if (request.signal.aborted) return new Response(null, { status: 499 });
    const reason =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
    return jsonError(
      502,
      `The console cannot reach the Tandem API at ${env.apiUrl.origin}${reason ? ` (${reason})` : ''}. Check that the API is running and that TANDEM_API_URL points to it.`,
    );
  }

  const responseHeaders = new Headers();
  for (const [name, value] of upstream.headers) {
    if (name === 'set-cookie' || DROPPED_RESPONSE_HEADERS.has(name)) continue;
    responseHeaders.set(name, value);
  }
  for (const cookie of upstream.headers.getSetCookie())
    responseHeaders.append('set-cookie', cookie);
  // Server-sent events must not be buffered by a proxy in front of the console.
  if (upstream.headers.get('content-type')?.startsWith('text/event-stream')) {
    responseHeaders.set('x-accel-buffering', 'no');
  }
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: responseHeaders,
  });
}
