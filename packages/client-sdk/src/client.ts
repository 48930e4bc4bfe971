/**
 * TandemClient: one device's connection to one identity pool.
 *
 * It owns the local store, the session, the identity, the live channel and the sync
 * scheduler. Datasets opened through it share all of that. See SPEC.md for the state machine
 * each dataset's sync follows, and README.md for how an app uses it.
 */
import type { PushConfig } from '@tandem/sync-protocol';
import { authRequest, signOutRequest, type Session } from './auth.js';
import { createCoordination, type Coordination, type TabMessage } from './coordination.js';
import { Dataset, type DatasetHost } from './dataset.js';
import { Emitter } from './emitter.js';
import { TandemSyncError, toSyncError } from './errors.js';
import { memoryStore } from './store/memory.js';
import { newDatasetMeta, type DatasetMeta, type LocalStore } from './store/types.js';
import {
  disablePush,
  enablePush,
  pushConfig,
  type EnablePushOptions,
  type PushHost,
  type PushRegistrationLike,
} from './push.js';
import { runSync, type SyncCallbacks, type SyncResult } from './sync-engine.js';
import { createTransport, type FetchLike, type Transport } from './transport.js';

export interface TandemClientOptions {
  /** The Tandem API's base URL (same origin as the page: `location.origin`). */
  url: string;
  identityPoolId: string;
  /** Where data lives on this device. Default: memory (gone on reload). */
  store?: LocalStore | Promise<LocalStore>;
  fetch?: FetchLike;
  /** Keep a live connection that tells this device when another one changed data (default true). */
  live?: boolean;
  /** Sync by itself after local writes, on reconnect and on live pokes (default true). */
  autoSync?: boolean;
  /** Quiet time after a local write before the automatic sync (default 250 ms). */
  syncDelayMs?: number;
  /** Rounds one synchronize() may take after conflicts with other devices (default 3). */
  maxRetries?: number;
  /** Whether the network is believed up (default `navigator.onLine`, else true). */
  isOnline?: () => boolean;
  /** Clock (ms since epoch). */
  now?: () => number;
  /**
   * Outside browsers: the Origin sent with sign-in requests. A server in production mode only
   * accepts sign-ins from its trusted origins (TRUSTED_ORIGINS / PUBLIC_URL).
   */
  origin?: string;
}

export interface ClientEvents extends Record<string, unknown> {
  /** Signed in, out, or switched user. */
  session: Session | null;
  /** The identity id changed (sign-in merged a guest, or a different user). */
  identity: string | null;
  /** A sync finished, on any dataset. */
  synced: SyncResult;
  /** A sync failed, on any dataset. */
  syncFailed: { datasetName: string; error: TandemSyncError };
  /** The live channel connected (true) or dropped (false). */
  live: boolean;
}

const SESSION_KEY = 'tandem.session';
const DEVICE_KEY = 'tandem.deviceId';
const identityKey = (poolId: string, userId: string) => `tandem.identity.${poolId}.${userId}`;
const MAX_BACKOFF_MS = 30_000;

const randomId = () =>
  globalThis.crypto?.randomUUID?.() ??
  `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

interface Scheduled {
  timer: ReturnType<typeof setTimeout> | null;
  running: Promise<void> | null;
  again: boolean;
  failures: number;
  /** After a retryable failure: when to try again, once the failed run has settled. */
  retryDelayMs: number | null;
}

export class TandemClient {
  /** Stable id of this device (its store); sent with writes so it can ignore its own pokes. */
  deviceId = '';
  private session: Session | null = null;
  private currentIdentityId: string | null = null;
  private store!: LocalStore;
  private coordination!: Coordination;
  private readonly transport: Transport;
  private readonly datasets = new Map<string, Dataset>();
  private readonly scheduled = new Map<string, Scheduled>();
  private readonly events = new Emitter<ClientEvents>();
  private readonly options: Required<
    Pick<TandemClientOptions, 'live' | 'autoSync' | 'syncDelayMs' | 'maxRetries'>
  > &
    TandemClientOptions;
  private readonly fetch: FetchLike;
  private lastNow = 0;
  private liveAbort: AbortController | null = null;
  private liveUp = false;
  private liveLastEventId: string | null = null;
  private closed = false;
  /** One per running sync, aborted by close() (a client-wide signal would collect listeners). */
  private readonly activeSyncs = new Set<AbortController>();
  private readonly detach: Array<() => void> = [];
  private readonly host: DatasetHost;

  private constructor(options: TandemClientOptions) {
    this.options = { live: true, autoSync: true, syncDelayMs: 250, maxRetries: 3, ...options };
    const platformFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    // Bearer tokens only: no cookies, so a browser never holds a second, cookie-based session.
    const baseFetch: FetchLike = (input, init) =>
      platformFetch(input, { ...init, credentials: 'omit' });
    this.fetch = baseFetch;
    this.transport = createTransport({
      url: options.url,
      fetch: baseFetch,
      token: () => this.session?.token ?? null,
    });
    this.host = {
      store: () => this.store,
      namespace: () => this.namespace(),
      now: () => this.now(),
      synchronize: (dataset, callbacks) => this.synchronizeDataset(dataset.name, callbacks),
      localWrite: (dataset, keys) => this.afterLocalWrite(dataset, keys),
    };
  }

  /** Creates a client and loads its device state (session, identity) from the store. */
  static async create(options: TandemClientOptions): Promise<TandemClient> {
    const client = new TandemClient(options);
    await client.init();
    return client;
  }

  private async init() {
    this.store = await (this.options.store ?? memoryStore());
    this.deviceId = (await this.store.getItem(DEVICE_KEY)) ?? randomId();
    await this.store.setItem(DEVICE_KEY, this.deviceId);
    this.coordination = createCoordination(this.store, this.options.identityPoolId);
    this.detach.push(this.coordination.subscribe((message) => this.onTabMessage(message)));
    const saved = await this.store.getItem(SESSION_KEY);
    if (saved) {
      this.session = JSON.parse(saved) as Session;
      this.currentIdentityId = await this.store.getItem(
        identityKey(this.options.identityPoolId, this.session.userId),
      );
      // Offline start: the cached identity is enough to read and write locally.
      if (!this.currentIdentityId) await this.resolveIdentity().catch(() => undefined);
      this.startLive();
    }
    const target = globalThis as {
      addEventListener?: (type: string, listener: () => void) => void;
      removeEventListener?: (type: string, listener: () => void) => void;
    };
    if (typeof target.addEventListener === 'function') {
      const online = () => this.onNetworkBack();
      const offline = () => this.markOffline();
      target.addEventListener('online', online);
      target.addEventListener('offline', offline);
      this.detach.push(() => {
        target.removeEventListener?.('online', online);
        target.removeEventListener?.('offline', offline);
      });
    }
  }

  // ——— session and identity ———

  /** The signed-in session (guest or account), or null. */
  get currentSession(): Session | null {
    return this.session;
  }

  /** Whether this client holds an open live connection (in a browser, only the leader tab does). */
  get liveConnected(): boolean {
    return this.liveUp;
  }

  /** This device's identity in the pool, once known. */
  get identityId(): string | null {
    return this.currentIdentityId;
  }

  /** Starts a guest session (if none is active) and resolves its identity. */
  async signInAsGuest(): Promise<Session> {
    if (this.session) return this.session;
    const session = await authRequest(
      this.fetch,
      this.options.url,
      'sign-in/anonymous',
      {},
      null,
      this.options.origin,
    );
    return this.adopt({ ...session, isGuest: true });
  }

  /** Creates an account; a guest session's data moves to it. */
  async signUp(input: { email: string; password: string; name?: string }): Promise<Session> {
    await this.flushBeforeSwitch();
    const session = await authRequest(
      this.fetch,
      this.options.url,
      'sign-up/email',
      { email: input.email, password: input.password, name: input.name ?? input.email },
      this.guestToken(),
      this.options.origin,
    );
    return this.adopt(session);
  }

  /** Signs in to an account; a guest session's data is merged into it. */
  async signIn(input: { email: string; password: string }): Promise<Session> {
    await this.flushBeforeSwitch();
    const session = await authRequest(
      this.fetch,
      this.options.url,
      'sign-in/email',
      input,
      this.guestToken(),
      this.options.origin,
    );
    return this.adopt(session);
  }

  /**
   * Ends the session. By default the user's local data is wiped from this device (a shared
   * computer must not keep it); `{ keepLocalData: true }` keeps it for their next sign-in.
   */
  async signOut(options: { keepLocalData?: boolean } = {}): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.stopLive();
    const namespace = this.currentIdentityId;
    this.session = null;
    this.currentIdentityId = null;
    await this.store.setItem(SESSION_KEY, null);
    if (!options.keepLocalData) {
      await this.store.setItem(identityKey(this.options.identityPoolId, session.userId), null);
      if (namespace) await this.store.dropNamespace(namespace);
    }
    await signOutRequest(this.fetch, this.options.url, session.token);
    for (const dataset of this.datasets.values()) dataset.detach();
    this.datasets.clear();
    this.events.emit('session', null);
    this.events.emit('identity', null);
  }

  private guestToken() {
    return this.session?.isGuest ? this.session.token : null;
  }

  /** Pushes a guest's pending changes so the server-side merge carries them. */
  private async flushBeforeSwitch() {
    if (!this.session?.isGuest || !this.currentIdentityId) return;
    for (const meta of await this.store.listDatasets(this.namespace())) {
      await this.synchronizeDataset(meta.name, undefined).catch(() => undefined);
    }
  }

  private async adopt(session: Session): Promise<Session> {
    const previousIdentity = this.currentIdentityId;
    const wasGuest = this.session?.isGuest ?? false;
    this.stopLive();
    this.session = session;
    await this.store.setItem(SESSION_KEY, JSON.stringify(session));
    this.events.emit('session', session);
    await this.resolveIdentity();
    if (previousIdentity && previousIdentity !== this.currentIdentityId && wasGuest) {
      // The guest's data now lives on the server under the account; forget the guest copy,
      // except changes the flush could not push (a declined conflict, say).
      await this.carryOverPending(previousIdentity);
      await this.store.dropNamespace(previousIdentity);
    }
    for (const dataset of this.datasets.values()) {
      await dataset.load();
      this.scheduleSync(dataset.name, 0);
    }
    this.startLive();
    return session;
  }

  /**
   * A guest's unpushed changes, moved to where the server merged the guest's dataset
   * (`<name>.<guestIdentityId>`) as pending changes, so they sync there instead of vanishing.
   * They are based on nothing (sync count 0): a key the merge also brought is a conflict.
   */
  private async carryOverPending(guestIdentityId: string) {
    const target = this.namespace();
    for (const meta of await this.store.listDatasets(guestIdentityId)) {
      const { records } = await this.store.read(guestIdentityId, meta.name, 'all');
      const pending = [...records.values()].filter((record) => record.modified);
      if (pending.length === 0) continue;
      const name = `${meta.name}.${guestIdentityId}`;
      await this.store.transact(target, name, [], (view) => {
        let clock = view.meta?.localClock ?? 0;
        const put = pending.map((record) => ({
          ...record,
          syncCount: 0,
          pushed: null,
          localVersion: (clock += 1),
        }));
        const base = view.meta ?? { ...newDatasetMeta(name) };
        return { result: undefined, writes: { meta: { ...base, localClock: clock }, put } };
      });
    }
  }

  private async resolveIdentity() {
    const session = this.session;
    if (!session) throw new TandemSyncError('NotSignedIn', 'Sign in (or start a guest session)');
    const identity = await this.transport
      .getIdentity(this.options.identityPoolId)
      .catch((error: unknown) => {
        throw toSyncError(error);
      });
    await this.store.setItem(
      identityKey(this.options.identityPoolId, session.userId),
      identity.identityId,
    );
    if (identity.identityId !== this.currentIdentityId) {
      this.currentIdentityId = identity.identityId;
      this.events.emit('identity', identity.identityId);
    }
  }

  private namespace(): string {
    if (!this.currentIdentityId) {
      throw new TandemSyncError('NotSignedIn', 'Sign in (or start a guest session) first');
    }
    return this.currentIdentityId;
  }

  // ——— push sync (web push) ———

  /** The pool's push configuration: whether push sync is on, and the key browsers use. */
  pushConfig(): Promise<PushConfig> {
    return pushConfig(this.pushHost());
  }

  /**
   * Subscribes this browser to pushes for `datasets` (call it from a user gesture: it may ask
   * for notification permission). The service worker behind `registration` should call
   * `handlePush` from `@tandem/client-sdk/service-worker`. Returns this device's id.
   */
  enablePush(options: EnablePushOptions): Promise<string> {
    return enablePush(this.pushHost(), options);
  }

  /** Unsubscribes this browser and removes it from the identity's devices. */
  disablePush(registration: PushRegistrationLike): Promise<void> {
    return disablePush(this.pushHost(), registration);
  }

  private pushHost(): PushHost {
    return {
      transport: this.transport,
      identityPoolId: this.options.identityPoolId,
      deviceId: this.deviceId,
      ensureIdentity: async () => {
        if (!this.currentIdentityId) await this.resolveIdentity();
      },
    };
  }

  // ——— datasets ———

  /**
   * Opens a dataset (creating it locally if new) and loads it into memory. The same object is
   * returned for the same name. `callbacks` are the defaults for its syncs (automatic ones
   * included); opening again with callbacks replaces them.
   */
  async dataset(name: string, callbacks?: SyncCallbacks): Promise<Dataset> {
    const existing = this.datasets.get(name);
    if (existing) {
      if (callbacks) existing.callbacks = callbacks;
      return existing;
    }
    this.namespace(); // must be signed in
    const dataset = new Dataset(name, this.host, callbacks);
    this.datasets.set(name, dataset);
    await dataset.load();
    if (this.options.autoSync) this.scheduleSync(name, 0);
    return dataset;
  }

  /** Datasets this device holds for the current identity (local, no network). */
  async localDatasets(): Promise<DatasetMeta[]> {
    return this.store.listDatasets(this.namespace());
  }

  /** The identity's datasets on the server (names, sizes, counts). */
  async remoteDatasets() {
    const datasets = [];
    let nextToken: string | undefined;
    do {
      const page = await this.transport
        .listDatasets({
          identityPoolId: this.options.identityPoolId,
          ...(nextToken ? { nextToken } : {}),
        })
        .catch((error: unknown) => {
          throw toSyncError(error);
        });
      datasets.push(...page.datasets);
      nextToken = page.nextToken ?? undefined;
    } while (nextToken);
    return datasets;
  }

  /** Syncs every dataset this device holds. Resolves when all are done (failures included). */
  async synchronizeAll(): Promise<Array<SyncResult | TandemSyncError>> {
    const metas = await this.localDatasets();
    const names = new Set([...metas.map((meta) => meta.name), ...this.datasets.keys()]);
    return Promise.all(
      [...names].map((name) =>
        this.synchronizeDataset(name, this.datasets.get(name)?.callbacks).catch((error: unknown) =>
          toSyncError(error),
        ),
      ),
    );
  }

  on<K extends keyof ClientEvents>(name: K, listener: (event: ClientEvents[K]) => void) {
    return this.events.on(name, listener);
  }

  /** Stops timers and the live channel and closes the store. Local data stays. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.activeSyncs) controller.abort();
    this.stopLive();
    for (const item of this.scheduled.values()) if (item.timer) clearTimeout(item.timer);
    await Promise.all([...this.scheduled.values()].map((item) => item.running));
    for (const undo of this.detach) undo();
    this.coordination.close();
    for (const dataset of this.datasets.values()) dataset.detach();
    await this.store.close();
  }

  // ——— sync scheduling ———

  /** Monotonic: two edits in one millisecond still order correctly. */
  private now(): number {
    const wall = this.options.now?.() ?? Date.now();
    this.lastNow = Math.max(wall, this.lastNow + 1);
    return this.lastNow;
  }

  private isOnline(): boolean {
    if (this.options.isOnline) return this.options.isOnline();
    const navigator = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
    return navigator?.onLine ?? true;
  }

  private slot(name: string): Scheduled {
    let item = this.scheduled.get(name);
    if (!item) {
      this.scheduled.set(
        name,
        (item = { timer: null, running: null, again: false, failures: 0, retryDelayMs: null }),
      );
    }
    return item;
  }

  /** Asks for an automatic sync of `name` after `delayMs` (coalesced). */
  private scheduleSync(name: string, delayMs: number) {
    if (this.closed || !this.options.autoSync || !this.currentIdentityId) return;
    const item = this.slot(name);
    if (item.running) {
      item.again = true;
      return;
    }
    if (item.timer) clearTimeout(item.timer);
    item.timer = setTimeout(() => {
      item.timer = null;
      this.synchronizeDataset(name, this.datasets.get(name)?.callbacks).catch(() => undefined);
    }, delayMs);
  }

  private afterLocalWrite(dataset: Dataset, keys: string[]) {
    this.coordination.post({
      type: 'changed',
      namespace: this.namespace(),
      dataset: dataset.name,
      keys,
      origin: 'local',
    });
    this.scheduleSync(dataset.name, this.options.syncDelayMs);
  }

  private synchronizeDataset(
    name: string,
    callbacks: SyncCallbacks | undefined,
  ): Promise<SyncResult> {
    const item = this.slot(name);
    if (item.timer) {
      clearTimeout(item.timer);
      item.timer = null;
    }
    // One sync per dataset in this client; the lock extends that to other tabs and clients.
    const run = (item.running ?? Promise.resolve()).then(() => this.runLocked(name, callbacks));
    // The bookkeeping copy never rejects: only the caller's promise carries the outcome.
    const settled: Promise<void> = run.then(
      () => undefined,
      () => undefined,
    );
    item.running = settled;
    void settled.then(() => {
      if (item.running === settled) item.running = null;
      const retryDelayMs = item.retryDelayMs;
      item.retryDelayMs = null;
      if (item.again) {
        item.again = false;
        this.scheduleSync(name, 0);
      } else if (retryDelayMs !== null) {
        this.scheduleSync(name, retryDelayMs);
      }
    });
    return run;
  }

  private async runLocked(name: string, callbacks: SyncCallbacks | undefined) {
    const dataset = this.datasets.get(name);
    const item = this.slot(name);
    let namespace: string;
    try {
      namespace = this.namespace();
      if (this.closed) throw new TandemSyncError('Closed', 'The client is closed');
    } catch (error) {
      const failure = toSyncError(error);
      callbacks?.onFailure?.(failure);
      throw failure;
    }
    if (!this.isOnline()) {
      const failure = new TandemSyncError(
        'NetworkError',
        'Offline: changes are kept on this device',
      );
      dataset?.setState({ status: 'offline', error: failure });
      callbacks?.onFailure?.(failure);
      throw failure;
    }
    dataset?.setState({ status: 'syncing' });
    const abort = new AbortController();
    this.activeSyncs.add(abort);
    try {
      const result = await this.coordination.withLock(`sync:${namespace}:${name}`, () =>
        runSync({
          store: this.store,
          transport: this.transport,
          namespace,
          identityPoolId: this.options.identityPoolId,
          datasetName: name,
          deviceId: this.deviceId,
          callbacks: callbacks ?? {},
          maxRetries: this.options.maxRetries,
          now: () => this.now(),
          signal: abort.signal,
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          onRemoteApplied: (keys) => {
            if (keys.length === 0) return;
            void dataset?.refresh(keys, 'remote');
            this.coordination.post({
              type: 'changed',
              namespace,
              dataset: name,
              keys,
              origin: 'remote',
            });
          },
        }),
      );
      item.failures = 0;
      await dataset?.refreshState();
      dataset?.setState({
        status: 'idle',
        error: null,
        pending: result.pending,
        lastSyncedAt: this.now(),
      });
      if (result.pending > 0) this.scheduleSync(name, 0);
      callbacks?.onSuccess?.(result);
      this.events.emit('synced', result);
      return result;
    } catch (error) {
      const failure = toSyncError(error);
      dataset?.setState({
        status: failure.kind === 'NetworkError' ? 'offline' : 'error',
        error: failure,
      });
      if (failure.retryable && failure.kind !== 'ResourceConflictException') {
        // Back off: 1 s, 2 s, 4 s … 30 s, with jitter; an `online` event retries at once.
        item.failures += 1;
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (item.failures - 1));
        item.retryDelayMs = delay * (0.75 + Math.random() / 2);
      }
      callbacks?.onFailure?.(failure);
      this.events.emit('syncFailed', { datasetName: name, error: failure });
      throw failure;
    } finally {
      this.activeSyncs.delete(abort);
    }
  }

  private onNetworkBack() {
    for (const [name, item] of this.scheduled) {
      item.failures = 0;
      this.scheduleSync(name, 0);
    }
    for (const name of this.datasets.keys()) this.scheduleSync(name, 0);
    if (this.session && !this.liveAbort) this.startLive();
  }

  private markOffline() {
    const failure = new TandemSyncError('NetworkError', 'Offline: changes are kept on this device');
    for (const dataset of this.datasets.values()) {
      dataset.setState({ status: 'offline', error: failure });
    }
  }

  // ——— other tabs and the live channel ———

  private onTabMessage(message: TabMessage) {
    if (message.namespace !== this.currentIdentityId) return;
    const dataset = this.datasets.get(message.dataset);
    if (message.type === 'changed') {
      void dataset?.refresh(message.keys ?? [], 'tab');
    } else if (message.type === 'poke') {
      this.onPoke(message.dataset, message.syncCount ?? 0, message.deviceId ?? null);
    }
  }

  private onPoke(datasetName: string, syncCount: number, deviceId: string | null) {
    if (deviceId === this.deviceId) return; // our own write
    const dataset = this.datasets.get(datasetName);
    if (dataset && syncCount > dataset.state.syncCount) this.scheduleSync(datasetName, 0);
  }

  /** One tab holds the live connection and relays pokes to the others. */
  private startLive() {
    if (!this.options.live || this.closed || !this.session || this.liveAbort) return;
    const abort = new AbortController();
    this.liveAbort = abort;
    this.coordination.holdWhile(`live:${this.session.userId}`, abort.signal, () =>
      this.connectLive(abort.signal, 0),
    );
  }

  private connectLive(signal: AbortSignal, attempt: number) {
    if (signal.aborted) return;
    let stop: (() => void) | null = null;
    const retry = (ms: number) => {
      stop?.();
      stop = null;
      this.liveUp = false;
      this.events.emit('live', false);
      const timer = setTimeout(() => this.connectLive(signal, attempt + 1), ms);
      signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    };
    stop = this.transport.live(
      { identityPoolId: this.options.identityPoolId, lastEventId: this.liveLastEventId },
      {
        onStarted: () => {
          attempt = 0;
          this.liveUp = true;
          this.events.emit('live', true);
          // Anything may have changed while disconnected: look once.
          for (const name of this.datasets.keys()) this.scheduleSync(name, 0);
        },
        onMessage: (message, eventId) => {
          if (eventId) this.liveLastEventId = eventId;
          if (message.type === 'reconnect') {
            retry(message.body.retryAfterMs);
            return;
          }
          const { datasetName, syncCount, deviceId, identityId } = message.body;
          this.coordination.post({
            type: 'poke',
            namespace: identityId,
            dataset: datasetName,
            syncCount,
            deviceId,
          });
          this.onPoke(datasetName, syncCount, deviceId);
        },
        onError: () => retry(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt)),
      },
    );
    signal.addEventListener('abort', () => stop?.(), { once: true });
  }

  private stopLive() {
    if (this.liveUp) {
      this.liveUp = false;
      this.events.emit('live', false);
    }
    this.liveAbort?.abort();
    this.liveAbort = null;
    this.liveLastEventId = null;
  }
}

/** Creates a client and loads its device state. */
export const createTandemClient = (options: TandemClientOptions) => TandemClient.create(options);
