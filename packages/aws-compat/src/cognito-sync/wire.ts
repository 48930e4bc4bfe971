/**
 * Cognito Sync's JSON (PascalCase members, epoch-second timestamps) to and from the tRPC
 * API's shapes (camelCase, epoch milliseconds). Requests are read leniently, as every SDK
 * generation needs (spec §2.4): any content type, an empty body or `{}`, timestamps as numbers
 * or numeric strings, unknown members ignored. Responses always carry numbers.
 */
import type {
  Dataset,
  IdentityPoolUsage,
  IdentityUsage,
  ListRecordsResponse,
  SyncRecord,
} from '@tandem/sync-protocol';
import { AwsError } from '../errors.js';
import { parseJsonObject } from '../http.js';

/** Epoch milliseconds → epoch seconds with a millisecond fraction. */
export const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

export const parseBody = (body: Buffer) =>
  parseJsonObject(body, (message) => new AwsError('SerializationException', 400, message));

export type Query = Map<string, string>;

/**
 * The query string's parameters, first value of each. Only `%XX` is decoded: the SDKs send a
 * plus sign as `%2B` and sign a literal `+` as itself, so reading `+` as a space (as
 * URLSearchParams does) would change a signed token.
 */
export function parseQuery(rawQuery: string): Query {
  const query: Query = new Map();
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    const name = decodeLoosely(at === -1 ? part : part.slice(0, at));
    if (!query.has(name)) query.set(name, decodeLoosely(at === -1 ? '' : part.slice(at + 1)));
  }
  return query;
}

const decodeLoosely = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // invalid escapes stay as sent, and validation judges the value
  }
};

/** A query parameter as a number when it looks like one; anything else goes on to validation. */
export function queryNumber(query: Query, name: string): number | string | undefined {
  const value = query.get(name);
  if (value === undefined) return undefined;
  return /^-?\d{1,16}$/.test(value) ? Number(value) : value;
}

export function queryString(query: Query, name: string): string | undefined {
  return query.get(name);
}

/** A request timestamp (epoch seconds, number or iOS's `%f` string) → epoch ms. */
export function timestampMs(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const numeric =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(value)
        ? Number(value)
        : NaN;
  // Not a time: passed on unchanged so validation names the member.
  return Number.isFinite(numeric) ? Math.round(numeric * 1000) : value;
}

/** Numbers that arrive as strings (older SDKs) → numbers; anything else unchanged. */
const numberish = (value: unknown): unknown =>
  typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;

export function recordPatches(value: unknown): unknown {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return value;
  return value.map((patch: unknown) => {
    if (typeof patch !== 'object' || patch === null) return patch;
    const p = patch as Record<string, unknown>;
    const out: Record<string, unknown> = {
      op: p['Op'],
      key: p['Key'],
      syncCount: numberish(p['SyncCount']),
    };
    if (p['Value'] !== undefined && p['Value'] !== null) out['value'] = p['Value'];
    const device = timestampMs(p['DeviceLastModifiedDate']);
    if (device !== undefined) out['deviceLastModifiedDate'] = device;
    return out;
  });
}

export const awsRecord = (record: SyncRecord) => ({
  Key: record.key,
  Value: record.value,
  SyncCount: record.syncCount,
  LastModifiedDate: seconds(record.lastModifiedDate),
  LastModifiedBy: record.lastModifiedBy,
  DeviceLastModifiedDate: seconds(record.deviceLastModifiedDate),
});

export const awsDataset = (dataset: Dataset) => ({
  IdentityId: dataset.identityId,
  DatasetName: dataset.datasetName,
  CreationDate: seconds(dataset.creationDate),
  LastModifiedDate: seconds(dataset.lastModifiedDate),
  LastModifiedBy: dataset.lastModifiedBy,
  DataStorage: dataset.dataStorage,
  NumRecords: dataset.numRecords,
});

export const awsListRecords = (page: ListRecordsResponse) => ({
  Records: page.records.map(awsRecord),
  NextToken: page.nextToken,
  Count: page.count,
  DatasetSyncCount: page.datasetSyncCount,
  LastModifiedBy: page.lastModifiedBy,
  MergedDatasetNames: page.mergedDatasetNames,
  DatasetExists: page.datasetExists,
  DatasetDeletedAfterRequestedSyncCount: page.datasetDeletedAfterRequestedSyncCount,
  SyncSessionToken: page.syncSessionToken,
});

export const awsIdentityUsage = (usage: IdentityUsage) => ({
  IdentityId: usage.identityId,
  IdentityPoolId: usage.identityPoolId,
  LastModifiedDate: seconds(usage.lastModifiedDate),
  DatasetCount: usage.datasetCount,
  DataStorage: usage.dataStorage,
});

export const awsIdentityPoolUsage = (usage: IdentityPoolUsage) => ({
  IdentityPoolId: usage.identityPoolId,
  SyncSessionsCount: usage.syncSessionsCount,
  DataStorage: usage.dataStorage,
  LastModifiedDate: seconds(usage.lastModifiedDate),
});
