import type { SyncRecord } from '@tandem/sync-protocol';
import type { LocalRecord } from './store/types.js';

/** What the app decided for one conflict. */
export type ConflictResolution =
  { kind: 'remote' } | { kind: 'local' } | { kind: 'value'; value: string | null };

/** The two sides of a key that changed here and elsewhere, as the app sees them. */
export interface ConflictSide {
  /** `null`: removed. */
  value: string | null;
  /** When the change was made on its device (ms since epoch). */
  modifiedAt: number;
  /** The server's sync count of this version (for the local side: the one it was based on). */
  syncCount: number;
}

/**
 * A key changed on this device and, differently, on the server since this device last synced.
 * Call one `resolveWith…` method; the last call wins. Left alone, the default applies: the most
 * recent change wins (by device modification time; a tie goes to the server).
 */
export class SyncConflict {
  readonly key: string;
  readonly local: ConflictSide;
  readonly remote: ConflictSide & { lastModifiedBy: string | null };
  private decided: ConflictResolution | null = null;

  constructor(local: LocalRecord, remote: SyncRecord) {
    this.key = local.key;
    this.local = {
      value: local.value,
      modifiedAt: local.deviceLastModifiedDate,
      syncCount: local.syncCount,
    };
    this.remote = {
      value: remote.value,
      modifiedAt: remote.deviceLastModifiedDate ?? remote.lastModifiedDate,
      syncCount: remote.syncCount,
      lastModifiedBy: remote.lastModifiedBy,
    };
  }

  /** Keep the server's version; the local change is dropped. */
  resolveWithRemote() {
    this.decided = { kind: 'remote' };
  }

  /** Keep this device's version; it overwrites the server's on push. */
  resolveWithLocal() {
    this.decided = { kind: 'local' };
  }

  /** Store a new value (a merge of both, say); `null` removes the key. */
  resolveWithValue(value: string | null) {
    this.decided = { kind: 'value', value };
  }

  get resolution(): ConflictResolution | null {
    return this.decided;
  }
}

/** Cognito's default: the most recent change wins, the server on a tie. */
export function defaultConflictResolution(conflict: SyncConflict): ConflictResolution {
  return conflict.local.modifiedAt > conflict.remote.modifiedAt
    ? { kind: 'local' }
    : { kind: 'remote' };
}
