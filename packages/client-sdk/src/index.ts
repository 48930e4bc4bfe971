export type { Session } from './auth.js';
export { createTandemClient, TandemClient } from './client.js';
export type { ClientEvents, TandemClientOptions } from './client.js';
export { defaultConflictResolution, SyncConflict } from './conflict.js';
export type { ConflictResolution, ConflictSide } from './conflict.js';
export { Dataset } from './dataset.js';
export type { DatasetChange, SyncState, SyncStatus } from './dataset.js';
export { TandemSyncError } from './errors.js';
export type { SyncErrorKind } from './errors.js';
export { base64UrlToBytes } from './push.js';
export type { EnablePushOptions, PushRegistrationLike, PushSubscriptionLike } from './push.js';
export { indexedDbStore } from './store/indexeddb.js';
export type { IndexedDbStoreOptions } from './store/indexeddb.js';
export { MemoryStore, memoryStore } from './store/memory.js';
export type {
  DatasetMeta,
  DatasetView,
  DatasetWrites,
  KeySelection,
  LocalRecord,
  LocalStore,
  PushedSnapshot,
  TransactResult,
} from './store/types.js';
export { planMerge } from './sync-engine.js';
export type { SyncCallbacks, SyncResult } from './sync-engine.js';
export type { FetchLike } from './transport.js';
