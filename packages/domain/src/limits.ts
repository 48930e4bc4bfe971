import {
  MAX_DATASET_BYTES,
  MAX_DATASETS_PER_IDENTITY,
  MAX_RECORDS_PER_DATASET,
  utf8ByteLength,
} from '@tandem/sync-protocol';
import { limitExceeded } from './errors.js';

/**
 * Size of a record toward the 1 MB dataset limit: UTF-8 bytes of key plus value, as the
 * official clients compute it (spec §7.9). Tombstones count nothing.
 */
export function recordSize(key: string, value: string | null): number {
  return value === null ? 0 : utf8ByteLength(key) + utf8ByteLength(value);
}

export interface DatasetTotals {
  numRecords: number;
  dataStorage: number;
}

export function assertDatasetWithinLimits(totals: DatasetTotals): void {
  if (totals.numRecords > MAX_RECORDS_PER_DATASET) {
    throw limitExceeded(
      `A dataset may hold at most ${MAX_RECORDS_PER_DATASET} records; this update would make ${totals.numRecords}.`,
    );
  }
  if (totals.dataStorage > MAX_DATASET_BYTES) {
    throw limitExceeded(
      `The total size of keys and values of a dataset cannot exceed ${MAX_DATASET_BYTES} bytes (UTF-8); this update would make ${totals.dataStorage}.`,
    );
  }
}

/** Called before a write creates a dataset the identity did not have. */
export function assertCanCreateDataset(existingDatasets: number): void {
  if (existingDatasets >= MAX_DATASETS_PER_IDENTITY) {
    throw limitExceeded(
      `An identity may hold at most ${MAX_DATASETS_PER_IDENTITY} datasets; delete one (merged datasets count too) before creating another.`,
    );
  }
}
