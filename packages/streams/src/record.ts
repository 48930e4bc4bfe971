/**
 * One committed change as a stream record, in the Cognito Streams format (spec §10): one record
 * per synchronization (UpdateRecords, DeleteDataset, merge), carrying the records it wrote.
 *
 * Spelling: the dataset name is emitted under BOTH `datasetName` and `dataSetName`. AWS's
 * documentation example spells it `dataSetName`, while AWS's own sample consumer
 * (amazon-cognito-streams-sample, Jackson with unknown fields ignored) binds `datasetName`; which
 * one the real service sent is unconfirmed (spec §10). Sending both costs a few bytes and works
 * with consumers written against either; the spec recommends `datasetName`, optionally both.
 * The change kind is `operation` (`replace`/`remove`) as in the spec's table; each element of
 * `kinesisSyncRecords` carries `op`. `payloadType` is always `Inline` (the S3Url variant for
 * updates over Kinesis's 1 MB limit is not implemented). The spec defines no version field, so
 * none is sent. `dedupeKey` is a Tandem addition (unknown fields are ignored by Cognito
 * consumers) so consumers of engines without server-side dedupe (Kinesis) can drop replays.
 */

/**
 * The part of a committed change_log row a record is built from. `ChangeLogEntry` of
 * `@tandem/change-log` is assignable to it, so this package does not depend on the database.
 */
export interface ChangeInput {
  identityPoolId: string;
  identityId: string;
  datasetName: string;
  /** The dataset sync count this change produced. */
  syncCount: number;
  kind: 'update' | 'delete' | 'merge';
  /** As stored in change_log.records (`ChangeLogRecord`); validated here. */
  records: readonly unknown[];
  committedAt: Date;
}

export type StreamOperation = 'replace' | 'remove';

/** One element of `kinesisSyncRecords`. */
export interface StreamSyncRecord {
  key: string;
  /** null for a removed record (its `op` is `remove`). */
  value: string | null;
  syncCount: number;
  /** Epoch milliseconds. */
  lastModifiedDate: number;
  /** Epoch milliseconds; null when the device sent none (as ListRecords reports it). */
  deviceLastModifiedDate: number | null;
  op: StreamOperation;
}

export interface StreamRecord {
  identityPoolId: string;
  identityId: string;
  /** Same value as `dataSetName`; see the file comment. */
  datasetName: string;
  dataSetName: string;
  /** `remove` for a dataset deletion, `replace` for an update or a merge. */
  operation: StreamOperation;
  payloadType: 'Inline';
  kinesisSyncRecords: StreamSyncRecord[];
  /** The dataset sync count after this change. */
  syncCount: number;
  /** Commit time, epoch milliseconds. */
  lastModifiedDate: number;
  /** `dedupeKey(pool, identity, dataset, syncCount)`: unique per change, stable across replays. */
  dedupeKey: string;
}

/** `%` and `/` escaped, so the joined key is unambiguous whatever the parts contain. */
const escapePart = (part: string) => part.replaceAll('%', '%25').replaceAll('/', '%2F');

/**
 * The dedupe key of a change: `<pool>/<identity>/<dataset>/<syncCount>`. (pool, identity,
 * dataset, syncCount) is unique in change_log, and a replay of a change yields the same key.
 * Real ids and dataset names never contain `/` or `%`, so keys read as plain paths.
 */
export function dedupeKey(
  identityPoolId: string,
  identityId: string,
  datasetName: string,
  syncCount: number,
): string {
  return [identityPoolId, identityId, datasetName, String(syncCount)].map(escapePart).join('/');
}

export class InvalidChangeError extends Error {
  override name = 'InvalidChangeError';
}

const isTimestamp = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

function toSyncRecord(raw: unknown, index: number): StreamSyncRecord {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const { key, value, syncCount, lastModifiedDate, deviceLastModifiedDate } = r;
  if (
    typeof key !== 'string' ||
    (typeof value !== 'string' && value !== null) ||
    !isTimestamp(syncCount) ||
    !isTimestamp(lastModifiedDate) ||
    (deviceLastModifiedDate !== null &&
      deviceLastModifiedDate !== undefined &&
      !isTimestamp(deviceLastModifiedDate))
  ) {
    throw new InvalidChangeError(`change record ${index} is not a ChangeLogRecord`);
  }
  return {
    key,
    value,
    syncCount,
    lastModifiedDate,
    deviceLastModifiedDate: deviceLastModifiedDate ?? null,
    op: value === null ? 'remove' : 'replace',
  };
}

/** The stream record for one committed change. */
export function toStreamRecord(change: ChangeInput): StreamRecord {
  return {
    identityPoolId: change.identityPoolId,
    identityId: change.identityId,
    datasetName: change.datasetName,
    dataSetName: change.datasetName,
    operation: change.kind === 'delete' ? 'remove' : 'replace',
    payloadType: 'Inline',
    kinesisSyncRecords: change.records.map(toSyncRecord),
    syncCount: change.syncCount,
    lastModifiedDate: change.committedAt.getTime(),
    dedupeKey: dedupeKey(
      change.identityPoolId,
      change.identityId,
      change.datasetName,
      change.syncCount,
    ),
  };
}

/** The key records of one dataset share: order is guaranteed within it. */
export const datasetKey = (record: StreamRecord) =>
  `${escapePart(record.identityPoolId)}/${escapePart(record.identityId)}/${escapePart(record.datasetName)}`;
