/**
 * Pure helpers of the client-SDK scenarios (S6 cold sync, LOCAL store rates): the records they
 * write and the arithmetic of their results. No I/O, so they can be unit-tested.
 */

/** S6 sizes (perf-reliability.md §C): 1,024 records of ~1 KB per dataset, 20 datasets. */
export const COLD_RECORDS = 1024;
export const COLD_VALUE_BYTES = 1000;
export const COLD_DATASETS = 20;
/** The protocol's per-dataset limit on UTF-8 bytes of keys and values (MAX_DATASET_BYTES). */
export const DATASET_BYTES_LIMIT = 1_048_576;

export const coldDatasetName = (index: number): string => `cold-${String(index).padStart(2, '0')}`;
export const coldKey = (index: number): string => `r${String(index).padStart(4, '0')}`;

/**
 * A value of exactly `bytes` ASCII characters, different for every (dataset, record): a
 * deterministic pseudo-random [a-z0-9] filler, so nothing in the path can shortcut it (no
 * repeated runs, nothing to escape in JSON).
 */
export function coldValue(dataset: number, index: number, bytes = COLD_VALUE_BYTES): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let state = (Math.imul(dataset + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  const chars = new Array<string>(bytes);
  for (let i = 0; i < bytes; i++) {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    chars[i] = alphabet[state % alphabet.length]!;
  }
  return chars.join('');
}

/** Bytes of keys and values of one S6 dataset, as the server counts them against its limit. */
export const coldDatasetBytes = (records = COLD_RECORDS, valueBytes = COLD_VALUE_BYTES): number =>
  records * (coldKey(0).length + valueBytes);

/** Operations per second of `ops` operations done in `ms` milliseconds. */
export const opsPerSecond = (ops: number, ms: number): number =>
  ms > 0 ? (ops * 1000) / ms : Number.NaN;

/** Element-wise sums of equally long sample series (a baseline made of several parts). */
export function sumSeries(...series: ArrayLike<number>[]): Float64Array {
  const length = series[0]?.length ?? 0;
  if (series.some((s) => s.length !== length)) throw new Error('series of different lengths');
  const out = new Float64Array(length);
  for (const s of series) for (let i = 0; i < length; i++) out[i]! += s[i]!;
  return out;
}
