/**
 * A "device" running the archived AWS browser library amazon-cognito-js 1.1.0 on aws-sdk v2, in
 * Node, pointed at Tandem. The library is untyped and callback-based: this file loads it, types
 * the parts the tests use, and turns its callbacks into promises. Nothing here changes what the
 * library sends; every HTTP exchange of a device is recorded, and the last one is quoted when a
 * sync fails.
 *
 * The CognitoSync client is built with `maxRetries: 0`, so the log shows every answer (v2 would
 * otherwise retry 5xx/throttling behind the library's back).
 *
 * How the library binds to its environment (node_modules/amazon-cognito-js/src):
 * - the dist file is UMD: under CommonJS it does `require("aws-sdk")` and attaches
 *   `AWS.CognitoSyncManager` to that module object, so no global `AWS`/`window` is needed;
 * - `new AWS.CognitoSyncManager(options)` captures `AWS.config.credentials` (the provider: a
 *   `CognitoIdentityCredentials`, of which it reads `params.IdentityPoolId` once and `identityId`
 *   at every call) and builds its `AWS.CognitoSync` client from the global config at that moment.
 *   So a device sets the global config, builds its manager, and from then on keeps its own
 *   provider and client: two managers coexist;
 * - `options.DataStore` is a constructor, instantiated by the manager's LocalStorage: passing
 *   `StoreInMemory` gives every device its own cache (the default, StoreLocalStorage, would use
 *   `window.localStorage`, shared by every manager of a page).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A record as the library holds it (AWS.CognitoSyncManager.Record). */
export interface JsRecord {
  getKey(): string;
  /** `null` for a local remove; a server tombstone reads as `''` (the constructor maps null). */
  getValue(): string | null;
  getSyncCount(): number;
  isModified(): boolean;
}

/** AWS.CognitoSyncManager.Conflict */
export interface JsConflict {
  getKey(): string;
  getRemoteRecord(): JsRecord;
  getLocalRecord(): JsRecord;
  /** The remote record, no longer modified. */
  resolveWithRemoteRecord(): JsRecord;
  /** The local value with the remote SyncCount, still modified (pushed by the sync). */
  resolveWithLocalRecord(): JsRecord;
  resolveWithValue(value: string): JsRecord;
}

type Done<T> = (error: Error | null, result: T) => void;
/** The continuation the library hands to onConflict / onDatasetDeleted / onDatasetsMerged. */
export type Continue = (doContinue: boolean) => void;

export interface JsSyncCallbacks {
  onSuccess(dataset: JsDataset, newRecords: JsRecord[] | undefined): void;
  onFailure(error: Error): void;
  onConflict(dataset: JsDataset, conflicts: JsConflict[], callback: Continue): void;
  onDatasetDeleted(dataset: JsDataset, datasetName: string, callback: Continue): void;
  onDatasetsMerged(dataset: JsDataset, datasetNames: string[], callback: Continue): void;
}

/** The library's local metadata of a dataset (AWS.CognitoSyncManager.DatasetMetadata). */
export interface JsDatasetMetadata {
  getDatasetName(): string;
  getLastSyncCount(): number;
}

/** AWS.CognitoSyncManager.LocalStorage: internal, but the only way to delete a dataset. */
interface JsLocalStorage {
  deleteDataset(identityId: string, datasetName: string, callback: Done<boolean>): void;
  getDatasets(identityId: string, callback: Done<JsDatasetMetadata[]>): void;
}

/** AWS.CognitoSyncManager.Dataset */
export interface JsDataset {
  datasetName: string;
  local: JsLocalStorage;
  put(key: string, value: string, callback: Done<JsRecord>): void;
  remove(key: string, callback: Done<JsRecord>): void;
  get(key: string, callback: Done<string | undefined>): void;
  getAll(callback: Done<Record<string, string>>): void;
  getAllRecords(callback: Done<JsRecord[]>): void;
  getDatasetMetadata(callback: Done<JsDatasetMetadata | undefined>): void;
  getIdentityId(): string;
  resolve(records: JsRecord[], callback: Done<boolean>): void;
  synchronize(callbacks: JsSyncCallbacks): void;
}

interface JsSyncManager {
  openOrCreateDataset(name: string, callback: Done<JsDataset>): void;
  listDatasets(callback: Done<JsDatasetMetadata[]>): void;
  getIdentityId(): string;
  remote: { client: AwsServiceV2 };
}

/** The bits of an aws-sdk v2 request/response the exchange log reads. */
interface AwsRequestV2 {
  operation: string;
  httpRequest: { method: string; path: string; body: string; headers: Record<string, string> };
  on(event: 'build', listener: () => void): void;
  on(event: 'complete', listener: (response: AwsResponseV2) => void): void;
}
interface AwsResponseV2 {
  httpResponse: { statusCode: number; body?: { toString(): string } };
  error: { code?: string; message?: string } | null;
}
interface AwsServiceV2 {
  customRequestHandler?: (request: AwsRequestV2) => void;
  /** The time v2 signs with (X-Amz-Date: second resolution). */
  getSkewCorrectedDate(): Date;
}

interface AwsV2 {
  config: {
    region?: string;
    credentials: unknown;
    update(options: Record<string, unknown>): void;
  };
  CognitoIdentityCredentials: new (
    params: { IdentityPoolId: string; Logins?: Record<string, string> },
    clientConfig: { region: string; endpoint: string },
  ) => { identityId: string; getPromise(): Promise<void> };
  CognitoSyncManager: {
    new (options: { DataStore: unknown; log?: (message: string) => void }): JsSyncManager;
    StoreInMemory: unknown;
  };
}

let loaded: AwsV2 | undefined;

/** aws-sdk v2 with amazon-cognito-js attached, loaded once (CommonJS, through createRequire). */
function aws(): AwsV2 {
  if (loaded) return loaded;
  // v2 prints an end-of-support notice on load; the tests know.
  (require('aws-sdk/lib/maintenance_mode_message') as { suppress: boolean }).suppress = true;
  const AWS = require('aws-sdk') as AwsV2;
  require('amazon-cognito-js');
  if (typeof AWS.CognitoSyncManager !== 'function')
    throw new Error('amazon-cognito-js did not attach AWS.CognitoSyncManager');
  loaded = AWS;
  return AWS;
}

/** One HTTP exchange of a device, as sent and as answered. */
export interface Exchange {
  operation: string;
  /** `METHOD path body` */
  request: string;
  /** The signed request's headers (Authorization, X-Amz-Date, …). */
  requestHeaders: Record<string, string>;
  status: number;
  response: string;
}

export interface SyncResult {
  /** What onSuccess received (the library passes the remote updates it applied, or nothing). */
  newRecords: JsRecord[] | undefined;
}

/**
 * The handlers a test gives a sync. Each returns the value the library's continuation is called
 * with (after the promise, if any, settles).
 */
export interface SyncHandlers {
  onConflict?(dataset: JsDataset, conflicts: JsConflict[]): boolean | Promise<boolean>;
  onDatasetDeleted?(dataset: JsDataset, datasetName: string): boolean | Promise<boolean>;
  onDatasetsMerged?(dataset: JsDataset, datasetNames: string[]): boolean | Promise<boolean>;
}

/** The library threw from inside one of its own continuations (it then never calls back). */
export class LibraryCrash extends Error {
  constructor(
    /** Which continuation: onConflict, onDatasetDeleted or onDatasetsMerged. */
    readonly callback: string,
    thrown: unknown,
  ) {
    super(`amazon-cognito-js crashed in the ${callback} continuation: ${String(thrown)}`, {
      cause: thrown,
    });
  }
}

export interface Device {
  name: string;
  identityId: string;
  exchanges: Exchange[];
  /** Every synchronize callback the library called, in order: `onConflict(theme)` etc. */
  calls: string[];
  open(datasetName: string): Promise<JsDataset>;
  /** Local dataset names (the library's metadata cache). */
  localDatasets(): Promise<string[]>;
  /**
   * `dataset.synchronize(...)` as a promise: resolves on onSuccess, rejects on onFailure, or with
   * a LibraryCrash when a continuation throws (the library would otherwise never call back).
   */
  sync(dataset: JsDataset, handlers?: SyncHandlers): Promise<SyncResult>;
}

/** Promise form of the library's `(err, result)` callbacks. */
export function call<T>(run: (done: Done<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((error, result) => (error ? reject(error) : resolve(result)));
  });
}

export async function startDevice(options: {
  name: string;
  url: string;
  region: string;
  identityPoolId: string;
  /** A Tandem session token (Logins `tandem`); null for a guest identity. */
  sessionToken: string | null;
  /** Replaces the clock the device's CognitoSync client signs with. */
  signingClock?: () => Date;
}): Promise<Device> {
  const AWS = aws();
  const credentials = new AWS.CognitoIdentityCredentials(
    {
      IdentityPoolId: options.identityPoolId,
      ...(options.sessionToken ? { Logins: { tandem: options.sessionToken } } : {}),
    },
    { region: options.region, endpoint: options.url },
  );
  // GetId then GetCredentialsForIdentity (the enhanced flow), against Tandem.
  await credentials.getPromise();

  // The manager reads the global config when it is built (see the file comment).
  AWS.config.update({
    region: options.region,
    credentials,
    cognitosync: { endpoint: options.url, maxRetries: 0 },
  });
  const manager = new AWS.CognitoSyncManager({ DataStore: AWS.CognitoSyncManager.StoreInMemory });

  const client = manager.remote.client;
  if (options.signingClock) client.getSkewCorrectedDate = options.signingClock;
  const exchanges: Exchange[] = [];
  client.customRequestHandler = (request) => {
    request.on('complete', (response) => {
      exchanges.push({
        operation: request.operation,
        request: `${request.httpRequest.method} ${request.httpRequest.path} ${request.httpRequest.body}`,
        requestHeaders: { ...request.httpRequest.headers },
        status: response.httpResponse.statusCode,
        response: response.httpResponse.body?.toString() ?? '',
      });
    });
  };

  const calls: string[] = [];
  const device: Device = {
    name: options.name,
    identityId: manager.getIdentityId(),
    exchanges,
    calls,
    open: (datasetName) =>
      call<JsDataset>((done) => manager.openOrCreateDataset(datasetName, done)),
    localDatasets: async () =>
      (await call<JsDatasetMetadata[]>((done) => manager.listDatasets(done)))
        .map((d) => d.getDatasetName())
        .sort(),
    sync: (dataset, handlers = {}) =>
      new Promise<SyncResult>((resolve, reject) => {
        const failWith = (error: Error) => {
          const last = exchanges.at(-1);
          const detail = last
            ? ` — last exchange: ${last.request} → ${last.status} ${last.response}`
            : '';
          reject(new Error(`${options.name}: ${error.message}${detail}`, { cause: error }));
        };
        /** Runs a handler, then the library's continuation, catching what the library throws. */
        const continueWith = (
          name: string,
          decide: (() => boolean | Promise<boolean>) | undefined,
          callback: Continue,
        ) => {
          void (async () => {
            let doContinue: boolean;
            try {
              doContinue = decide ? await decide() : false;
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
              return;
            }
            try {
              callback(doContinue);
            } catch (error) {
              reject(new LibraryCrash(name, error));
            }
          })();
        };
        dataset.synchronize({
          onSuccess: (_dataset, newRecords) => {
            calls.push('onSuccess');
            resolve({ newRecords });
          },
          onFailure: (error) => {
            calls.push(`onFailure(${error.message})`);
            failWith(error);
          },
          onConflict: (ds, conflicts, callback) => {
            calls.push(`onConflict(${conflicts.map((c) => c.getKey()).join(',')})`);
            const handler = handlers.onConflict;
            continueWith('onConflict', handler && (() => handler(ds, conflicts)), callback);
          },
          onDatasetDeleted: (ds, datasetName, callback) => {
            calls.push(`onDatasetDeleted(${datasetName})`);
            const handler = handlers.onDatasetDeleted;
            continueWith('onDatasetDeleted', handler && (() => handler(ds, datasetName)), callback);
          },
          onDatasetsMerged: (ds, datasetNames, callback) => {
            calls.push(`onDatasetsMerged(${datasetNames.join(',')})`);
            const handler = handlers.onDatasetsMerged;
            continueWith(
              'onDatasetsMerged',
              handler && (() => handler(ds, datasetNames)),
              callback,
            );
          },
        });
      }),
  };
  return device;
}

/**
 * Marks a dataset deleted in the device's cache (LastSyncCount −1) so that its next synchronize
 * deletes it on the server (DeleteDataset) and purges it locally. amazon-cognito-js 1.1.0 has no
 * public delete: this is the library's own LocalStorage.deleteDataset, which its synchronize
 * expects to have been called.
 */
export function markDeleted(dataset: JsDataset): Promise<boolean> {
  return call<boolean>((done) =>
    dataset.local.deleteDataset(dataset.getIdentityId(), dataset.datasetName, done),
  );
}

/** The dataset's live values in the device's cache. */
export function values(dataset: JsDataset): Promise<Record<string, string>> {
  return call<Record<string, string>>((done) => dataset.getAll(done));
}

export function put(dataset: JsDataset, key: string, value: string): Promise<JsRecord> {
  return call<JsRecord>((done) => dataset.put(key, value, done));
}

export function remove(dataset: JsDataset, key: string): Promise<JsRecord> {
  return call<JsRecord>((done) => dataset.remove(key, done));
}
