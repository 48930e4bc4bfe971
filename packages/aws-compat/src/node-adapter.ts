/**
 * The AWS-compatible surface on a node:http server: Cognito Sync's REST paths
 * (`/identitypools/…`) and Cognito Identity's JSON endpoint (any POST whose `x-amz-target` is
 * `AWSCognitoIdentityService.*`, so apps may use the server's root URL for both clients).
 */
import type { ApiDeps, NoopPullCache } from '@tandem/api-router';
import { isPublicAddress } from '@tandem/net-guard';
import type http from 'node:http';
import { handleCognitoSync } from './cognito-sync/respond.js';
import {
  COGNITO_IDENTITY_TARGET_PREFIX,
  createCognitoIdentityHandler,
  isCognitoIdentityRequest,
} from './cognito-identity.js';
import { createCognitoSyncHandler } from './cognito-sync/handler.js';
import { isCognitoSyncPath } from './cognito-sync/routes.js';
import { AwsError, awsErrorResponse } from './errors.js';
import type { AwsHttpRequest, AwsHttpResponse } from './http.js';
import { createIdentityCredentialIssuer } from './identity-credentials.js';
import { createPrincipalResolver } from './principal.js';
import { createRateLimiter } from './rate-limiter.js';

export interface AwsCompatOptions {
  api: ApiDeps;
  /** The server secret: identity credentials are derived from it (same on every replica). */
  serverSecret: string;
  maxBodyBytes: number;
  /** Lifetime of identity credentials (default 1 h, as Cognito's). */
  credentialsTtlMs?: number;
  maxSkewMs?: number;
  now?: () => Date;
  /** Told about unexpected failures (answered with InternalErrorException). */
  onError?: (error: unknown) => void;
  /** Repeated no-op ListRecords of identities answered from memory (the host's; it closes it). */
  noopPulls?: NoopPullCache;
  /** New guest identities (GetId without Logins) per client address and minute; 0: no limit. */
  guestIdentitiesPerMinute?: number;
}

export interface AwsCompat {
  /** Whether this request belongs to the AWS-compatible surface. */
  handles(method: string, path: string, headers: http.IncomingHttpHeaders): boolean;
  serve(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): void;
  /** For tests and other hosts: one request in, one response out. */
  handle(request: AwsHttpRequest, requestId: string): Promise<AwsHttpResponse>;
}

export function createAwsCompat(options: AwsCompatOptions): AwsCompat {
  const issuer = createIdentityCredentialIssuer(options.serverSecret, {
    ...(options.credentialsTtlMs !== undefined ? { ttlMs: options.credentialsTtlMs } : {}),
  });
  const now = options.now ?? (() => new Date());
  const principals = createPrincipalResolver({
    database: options.api.database,
    settingsBox: options.api.secrets.settingsBox,
    identityKeys: issuer,
    now,
    ...(options.maxSkewMs !== undefined ? { maxSkewMs: options.maxSkewMs } : {}),
  });
  const sync = createCognitoSyncHandler({
    api: options.api,
    principals,
    ...(options.noopPulls ? { noopPulls: options.noopPulls } : {}),
  });
  const identity = createCognitoIdentityHandler({
    database: options.api.database,
    auth: options.api.auth,
    issuer,
    now,
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.guestIdentitiesPerMinute
      ? {
          guestLimiter: createRateLimiter({
            limit: options.guestIdentitiesPerMinute,
            windowMs: 60_000,
          }),
        }
      : {}),
  });

  async function handle(request: AwsHttpRequest, requestId: string): Promise<AwsHttpResponse> {
    if (isCognitoIdentityRequest(request) && request.method === 'POST') {
      return identity(request, requestId);
    }
    return handleCognitoSync(sync, request, requestId, options.onError);
  }

  return {
    handles(method, path, headers) {
      if (isCognitoSyncPath(path)) return true;
      const target = headers['x-amz-target'];
      return (
        method === 'POST' &&
        typeof target === 'string' &&
        target.startsWith(COGNITO_IDENTITY_TARGET_PREFIX)
      );
    },
    handle,
    serve(req, res, requestId) {
      const url = req.url ?? '/';
      const queryAt = url.indexOf('?');
      readBody(req, options.maxBodyBytes)
        .then((body) =>
          handle(
            {
              method: req.method ?? 'GET',
              rawPath: queryAt === -1 ? url : url.slice(0, queryAt),
              rawQuery: queryAt === -1 ? '' : url.slice(queryAt + 1),
              headers: req.headers,
              body,
              ...clientAddressOf(req),
            },
            requestId,
          ),
        )
        .catch((error: unknown) => {
          if (error instanceof AwsError) return awsErrorResponse(error, requestId);
          options.onError?.(error);
          return awsErrorResponse(
            new AwsError('InternalErrorException', 500, 'An internal error occurred.'),
            requestId,
          );
        })
        .then((response) => {
          if (response.status === 413) response.headers['connection'] = 'close';
          res.writeHead(response.status, response.headers);
          res.end(response.body);
        })
        .catch(() => res.destroy());
    },
  };
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () =>
      new AwsError(
        'RequestEntityTooLargeException',
        413,
        `Request body exceeds the limit of ${maxBytes} bytes.`,
      );
    if (declared > maxBytes) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The client's address for rate limits. X-Forwarded-For is believed only from a proxy on a
 * private or loopback address, and then only its last hop (the one that proxy added); hops
 * further left are whatever the client claimed.
 */
function clientAddressOf(req: http.IncomingMessage): { clientAddress?: string } {
  const peer = req.socket.remoteAddress;
  const forwarded = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  const address = peer && !isPublicAddress(peer) && hops.length ? hops[hops.length - 1] : peer;
  return address ? { clientAddress: address } : {};
}
