import type { SyncCallbacks, TandemClient } from '@tandem/client-sdk';
import { createContext, useContext } from 'react';
import { datasetCallbacks } from './callbacks.js';
import { ConflictQueue } from './conflicts.js';
import { MergedDatasets } from './merges.js';

/** Everything the components need from Tandem, made once at start-up. */
export interface Tandem {
  client: TandemClient;
  conflicts: ConflictQueue;
  merges: MergedDatasets;
  /** The callbacks to open a dataset with (the same object for the same name). */
  callbacksFor(datasetName: string): SyncCallbacks;
  /** The active service worker (background sync), or null where the browser has none. */
  serviceWorker: Promise<ServiceWorkerRegistration> | null;
}

export function createTandem(
  client: TandemClient,
  serviceWorker: Promise<ServiceWorkerRegistration> | null,
): Tandem {
  const conflicts = new ConflictQueue();
  const merges = new MergedDatasets();
  return {
    client,
    conflicts,
    merges,
    callbacksFor: datasetCallbacks(conflicts, merges),
    serviceWorker,
  };
}

export const TandemContext = createContext<Tandem | null>(null);

export function useTandem(): Tandem {
  const tandem = useContext(TandemContext);
  if (!tandem) throw new Error('useTandem() needs a <TandemContext.Provider> above it');
  return tandem;
}
