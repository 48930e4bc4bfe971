/**
 * The SDK's view of the server: the sync procedures over tRPC (HTTP), the live channel over SSE.
 *
 * The router's type is not imported (that would tie a browser bundle to server code); the
 * request and response types come from `@tandem/sync-protocol`, the one source of truth for
 * the wire. The `eventsource` package is used everywhere, browsers included, because the
 * built-in EventSource cannot send an Authorization header.
 */
import type {
  Dataset,
  DatasetRequest,
  Identity,
  LastDeviceWriteRequest,
  LastDeviceWriteResponse,
  ListDatasetsRequest,
  ListDatasetsResponse,
  ListRecordsRequest,
  ListRecordsResponse,
  LiveMessage,
  PushConfig,
  PushSubscriptionJson,
  UpdateRecordsRequest,
  UpdateRecordsResponse,
} from '@tandem/sync-protocol';
import {
  createTRPCUntypedClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCUntypedClient,
} from '@trpc/client';
import type { AnyRouter } from '@trpc/server';
import { EventSource } from 'eventsource';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** The API's base URL, e.g. `https://sync.example.com` (tRPC is served under `/trpc`). */
  url: string;
  fetch: FetchLike;
  /** The bearer token of the current session, or null. */
  token: () => string | null;
}

export interface LiveHandlers {
  onMessage(message: LiveMessage, eventId: string | undefined): void;
  onError(error: unknown): void;
  onStarted(): void;
}

export interface Transport {
  getIdentity(identityPoolId: string): Promise<Identity>;
  listRecords(request: ListRecordsRequest, signal?: AbortSignal): Promise<ListRecordsResponse>;
  updateRecords(
    request: UpdateRecordsRequest,
    signal?: AbortSignal,
  ): Promise<UpdateRecordsResponse>;
  lastDeviceWrite(
    request: LastDeviceWriteRequest,
    signal?: AbortSignal,
  ): Promise<LastDeviceWriteResponse>;
  listDatasets(request: ListDatasetsRequest): Promise<ListDatasetsResponse>;
  describeDataset(request: DatasetRequest): Promise<{ dataset: Dataset }>;
  deleteDataset(request: DatasetRequest): Promise<{ dataset: Dataset }>;
  live(
    input: { identityPoolId: string; lastEventId: string | null },
    handlers: LiveHandlers,
  ): () => void;
  pushConfig(identityPoolId: string): Promise<PushConfig>;
  registerDevice(request: {
    identityPoolId: string;
    platform: 'WEB_PUSH';
    subscription: PushSubscriptionJson;
    deviceId: string;
  }): Promise<{ deviceId: string }>;
  subscribeToDataset(request: DeviceDatasetRequest): Promise<unknown>;
  unsubscribeFromDataset(request: DeviceDatasetRequest): Promise<unknown>;
  removeDevice(request: { identityPoolId: string; deviceId: string }): Promise<unknown>;
}

export interface DeviceDatasetRequest {
  identityPoolId: string;
  deviceId: string;
  datasetName: string;
}

/** tRPC lives under `/trpc` (a trailing slash in the base URL is a common copy-paste accident). */
const trpcUrl = (url: string) => `${url.replace(/\/+$/, '')}/trpc`;

export function createTransport(options: TransportOptions): Transport {
  const headers = (): Record<string, string> => {
    const token = options.token();
    return token ? { authorization: `Bearer ${token}` } : {};
  };
  const url = trpcUrl(options.url);
  const client: TRPCUntypedClient<AnyRouter> = createTRPCUntypedClient<AnyRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) =>
              options.fetch(input, { ...init, headers: { ...init?.headers, ...headers() } }),
          }),
        }),
        // tRPC types its fetch loosely (RequestInitEsque); ours is the standard signature.
        false: httpLink({
          url,
          headers,
          fetch: options.fetch as NonNullable<Parameters<typeof httpLink>[0]['fetch']>,
        }),
      }),
    ],
  });
  const query = <T>(path: string, input: unknown, signal?: AbortSignal) =>
    client.query(path, input, signal ? { signal } : undefined) as Promise<T>;
  const mutation = <T>(path: string, input: unknown, signal?: AbortSignal) =>
    client.mutation(path, input, signal ? { signal } : undefined) as Promise<T>;

  return {
    getIdentity: (identityPoolId) => mutation('identity.getId', { identityPoolId }),
    listRecords: (request, signal) => query('record.list', request, signal),
    updateRecords: (request, signal) => mutation('record.update', request, signal),
    lastDeviceWrite: (request, signal) => query('record.lastDeviceWrite', request, signal),
    listDatasets: (request) => query('dataset.list', request),
    describeDataset: (request) => query('dataset.describe', request),
    deleteDataset: (request) => mutation('dataset.delete', request),
    pushConfig: (identityPoolId) => query('device.pushConfig', { identityPoolId }),
    registerDevice: (request) => mutation('device.register', request),
    subscribeToDataset: (request) => mutation('device.subscribe', request),
    unsubscribeFromDataset: (request) => mutation('device.unsubscribe', request),
    removeDevice: (request) => mutation('device.remove', request),
    live(input, handlers) {
      const subscription = client.subscription('live.onDatasetChange', input, {
        onStarted: () => handlers.onStarted(),
        onData: (envelope) => {
          // `tracked()` events arrive as { id, data }.
          const { id, data } = envelope as { id?: string; data: LiveMessage };
          handlers.onMessage(data, id);
        },
        onError: (error) => handlers.onError(error),
      });
      return () => subscription.unsubscribe();
    },
  };
}
