/**
 * Sends a sync trigger event to a webhook and reads its answer.
 *
 * Safety (SSRF): the URL was checked when saved, but DNS can change since, so it is checked
 * again at every send. The host must resolve to public addresses only, and the connection is
 * pinned to the address that was checked (a custom `lookup`), so a second resolution cannot
 * point it elsewhere. Only https is allowed, except the development hosts localhost, 127.0.0.1
 * and [::1] over http, which must then resolve to loopback (the save-time rule). Redirects are
 * never followed (a 3xx is an invalid answer). The whole exchange, DNS included, has the
 * trigger budget; the answer is capped in size.
 */
import { SyncError } from '@tandem/domain';
import {
  isLoopbackAddress,
  isPublicAddress,
  pinnedLookup,
  systemResolver,
  type HostResolver,
  type ResolvedAddress,
} from '@tandem/net-guard';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { timeoutError, throttledError } from './function-pool.js';
import { POOL_HEADER, SIGNATURE_HEADER, signWebhookBody } from './signature.js';
import { invalidTriggerOutput } from './sync-trigger-event.js';

/** Hosts a development webhook may reach over plain http (same as the save-time check). */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export type Resolver = HostResolver;

export interface WebhookOptions {
  budgetMs: number;
  /** Largest answer read, bytes (default 2 MB). */
  maxResponseBytes?: number | undefined;
  /** DNS resolution (tests inject one). */
  resolve?: Resolver | undefined;
}

export const refusedTarget = (message: string) =>
  new SyncError('InvalidConfigurationException', `The sync trigger webhook ${message}`);

/** The address to connect to, after the SSRF rules. */
async function pinnedAddress(url: URL, resolve: Resolver): Promise<ResolvedAddress> {
  const local = LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) {
    throw refusedTarget('must use https (http only for localhost, 127.0.0.1 and [::1]).');
  }
  if (url.username || url.password) throw refusedTarget('URL must not contain credentials.');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host);
  const first = addresses[0];
  if (!first) throw refusedTarget(`host ${url.hostname} does not resolve.`);
  const allowed = local ? isLoopbackAddress : isPublicAddress;
  const bad = addresses.find((a) => !allowed(a.address));
  if (bad) {
    throw refusedTarget(
      local
        ? `host ${url.hostname} must resolve to a loopback address.`
        : `host ${url.hostname} resolves to a non-public address (${bad.address}).`,
    );
  }
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

export async function sendWebhook(
  args: { url: string; identityPoolId: string; event: string; signingSecret: string },
  options: WebhookOptions,
): Promise<string> {
  const signal = AbortSignal.timeout(options.budgetMs);
  const maxBytes = options.maxResponseBytes ?? 2 * 1024 * 1024;
  const url = new URL(args.url);
  const pinned = await Promise.race([
    pinnedAddress(url, options.resolve ?? systemResolver),
    new Promise<never>((_, reject) =>
      signal.addEventListener('abort', () => reject(timeoutError(options.budgetMs)), {
        once: true,
      }),
    ),
  ]);
  const lookup = pinnedLookup(pinned);
  const body = args.event;
  const client = url.protocol === 'https:' ? https : http;

  return new Promise<string>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup,
        signal,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          accept: 'application/json',
          'user-agent': 'tandem-sync-trigger/1',
          [SIGNATURE_HEADER]: signWebhookBody(args.signingSecret, body),
          [POOL_HEADER]: args.identityPoolId,
        },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status === 429) {
          response.resume();
          reject(throttledError());
          return;
        }
        if (status < 200 || status > 299) {
          response.resume();
          reject(invalidTriggerOutput(`The sync trigger webhook answered HTTP ${status}.`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            request.destroy();
            reject(
              invalidTriggerOutput(`The sync trigger webhook's answer is over ${maxBytes} bytes.`),
            );
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', (error) => reject(mapNetworkError(error, options.budgetMs)));
      },
    );
    request.on('error', (error) => reject(mapNetworkError(error, options.budgetMs)));
    request.end(body);
  });
}

function mapNetworkError(error: Error, budgetMs: number): SyncError {
  if (error instanceof SyncError) return error;
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return timeoutError(budgetMs);
  const code = (error as NodeJS.ErrnoException).code;
  return new SyncError(
    'LambdaSocketTimeoutException',
    `The sync trigger webhook could not be reached${code ? ` (${code})` : ''}.`,
  );
}
