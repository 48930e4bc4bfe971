/**
 * Conflicts, from the SDK's callback to a dialog and back.
 *
 * A conflict is a key changed on this device and, differently, on another one since this device
 * last synced. `onConflict` may return a promise, and the sync waits for it while holding the
 * dataset's lock: no other sync of that dataset runs, in any tab, until the user has decided.
 * So the callback only queues the conflicts and returns a promise that the dialog settles.
 */
import type { SyncConflict } from '@tandem/client-sdk';
import { Observable } from './observable.js';

export interface ConflictRequest {
  /** Unique per request (a React key). */
  id: number;
  datasetName: string;
  conflicts: readonly SyncConflict[];
  /**
   * `true`: each conflict now carries the user's choice (`resolveWith…()`), finish the sync.
   * `false`: decide later. The sync stops, local changes stay pending, and the next sync asks again.
   */
  settle(proceed: boolean): void;
}

export class ConflictQueue {
  private readonly queue = new Observable<readonly ConflictRequest[]>([]);
  private lastId = 0;

  readonly subscribe = this.queue.subscribe;

  /** The request to show now (oldest first), or null. */
  readonly current = (): ConflictRequest | null => this.queue.get()[0] ?? null;

  /** Use as `onConflict`. */
  ask(datasetName: string, conflicts: readonly SyncConflict[]): Promise<boolean> {
    return new Promise((resolve) => {
      const request: ConflictRequest = {
        id: ++this.lastId,
        datasetName,
        conflicts,
        settle: (proceed) => {
          this.queue.set(this.queue.get().filter((item) => item !== request));
          resolve(proceed);
        },
      };
      this.queue.set([...this.queue.get(), request]);
    });
  }
}
