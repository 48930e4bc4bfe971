/**
 * Import of an Amazon Cognito Streams export (spec §10) into a Tandem identity pool, keeping the
 * identity ids: apps moving from AWS cache their IdentityId and find their data under it.
 *
 * Input: what a Cognito stream (live updates and bulk publish) delivered to Kinesis, as
 * - JSON Lines, one stream record per line;
 * - a JSON array of stream records (or one record);
 * - the raw Kinesis form: `{"Data": "<base64 of the record JSON>", …}` per line or in a
 *   `{"Records": [...]}` wrapper, as `aws kinesis get-records` prints it (the Lambda event form
 *   `{"kinesis": {"data": …}}` too).
 * Tandem's own streams emit the same format, so a Tandem export re-imports.
 *
 * Each (identity, dataset) is replayed in sync-count order to its final state — the last write
 * of each key by sync count wins, a removed key is a tombstone, a record with
 * `operation: "remove"` and no records deletes the dataset — and that state is written as one
 * write per dataset through the normal write path (change log, streams, push, limits), as a
 * `system` write by `import`, patched against what the server holds: keys already holding the
 * exported value are not rewritten, so running the same import again writes nothing.
 * Keys the server holds that the export never mentions are kept.
 */
import {
  deleteDataset,
  ensureImportedIdentity,
  findDataset,
  findIdentityById,
  getIdentityPool,
  listDatasets,
  listRecords,
  updateRecords,
  type CommittedChange,
  type Database,
  type Writer,
} from '@tandem/db';
import {
  assertCanCreateDataset,
  invalidParameter,
  isSyncError,
  planPatches,
  type StoredRecordState,
} from '@tandem/domain';
import {
  MAX_RECORDS_PER_DATASET,
  MAX_TIMESTAMP_MS,
  datasetNameSchema,
  identityIdSchema,
  recordKeySchema,
  recordValueSchema,
  type RecordPatch,
} from '@tandem/sync-protocol';

export type CognitoStreamOperation = 'replace' | 'remove';

/** One element of `kinesisSyncRecords`. */
export interface CognitoSyncRecord {
  key: string;
  /** null for a removed key. */
  value: string | null;
  syncCount: number;
  /** Epoch milliseconds, when the export has it. */
  lastModifiedDate: number | null;
  /** Epoch milliseconds, when the export has it. */
  deviceLastModifiedDate: number | null;
  op: CognitoStreamOperation;
}

/** One Cognito Streams record: one synchronization of one dataset. */
export interface CognitoStreamRecord {
  identityPoolId: string;
  identityId: string;
  datasetName: string;
  operation: CognitoStreamOperation;
  payloadType: 'Inline' | 'S3Url';
  kinesisSyncRecords: CognitoSyncRecord[];
  /** The presigned S3 URL of an `S3Url` record (not fetched). */
  kinesisSyncRecordsURL: string | null;
  /** The dataset sync count after this change. */
  syncCount: number;
  lastModifiedDate: number | null;
  /** Where it came from: the line (JSON Lines) or the position in the document (1-based). */
  line: number;
}

export interface CognitoExportParseError {
  /** The line (JSON Lines) or the position of the top-level element (JSON document), 1-based. */
  line: number;
  message: string;
}

export interface ImportSkipped {
  identityId: string;
  datasetName: string;
  /** Source line (or position), when the entry comes from the parser. */
  line: number | null;
  reason: string;
}

export interface ImportFailure {
  identityId: string;
  datasetName: string | null;
  /** The Cognito error name (e.g. LimitExceededException). */
  error: string;
  message: string;
}

export interface ParsedCognitoExport {
  /** The Inline records, in input order. */
  records: CognitoStreamRecord[];
  /** `S3Url` records: their records live in S3 behind a URL that cannot be fetched offline. */
  skipped: ImportSkipped[];
  errors: CognitoExportParseError[];
}

const S3URL_REASON =
  'payloadType S3Url: the records are in S3 behind a presigned URL, which an offline import cannot fetch';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Epoch milliseconds from a number or a date string; undefined when absent, NaN when invalid. */
function toMillis(value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : Date.parse(value);
  }
  return Number.NaN;
}

const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isOp = (v: unknown): v is CognitoStreamOperation => v === 'replace' || v === 'remove';

class RecordError extends Error {}

function toSyncRecord(raw: unknown, index: number, parentSyncCount: number): CognitoSyncRecord {
  const where = `kinesisSyncRecords[${index}]`;
  if (!isObject(raw)) throw new RecordError(`${where} is not an object`);
  const { key, value, op, syncCount } = raw;
  if (typeof key !== 'string') throw new RecordError(`${where}.key must be a string`);
  if (value !== undefined && value !== null && typeof value !== 'string')
    throw new RecordError(`${where}.value must be a string or null`);
  if (op !== undefined && op !== null && !isOp(op))
    throw new RecordError(`${where}.op must be "replace" or "remove"`);
  if (syncCount !== undefined && !isCount(syncCount))
    throw new RecordError(`${where}.syncCount must be a non-negative integer`);
  const lastModifiedDate = toMillis(raw['lastModifiedDate']) ?? null;
  const deviceLastModifiedDate = toMillis(raw['deviceLastModifiedDate']) ?? null;
  if (Number.isNaN(lastModifiedDate) || Number.isNaN(deviceLastModifiedDate))
    throw new RecordError(`${where}: lastModifiedDate/deviceLastModifiedDate must be epoch ms`);
  const removed = op === 'remove' || value === null || value === undefined;
  return {
    key,
    value: removed ? null : value,
    syncCount: syncCount ?? parentSyncCount,
    lastModifiedDate,
    deviceLastModifiedDate,
    op: removed ? 'remove' : 'replace',
  };
}

function toStreamRecord(raw: unknown, line: number): CognitoStreamRecord {
  if (!isObject(raw)) throw new RecordError('not a JSON object');
  const { identityPoolId, identityId, operation, payloadType, syncCount } = raw;
  const datasetName = raw['datasetName'] ?? raw['dataSetName'];
  if (typeof identityPoolId !== 'string' || identityPoolId === '')
    throw new RecordError('identityPoolId is missing');
  if (typeof identityId !== 'string' || identityId === '')
    throw new RecordError('identityId is missing');
  if (typeof datasetName !== 'string' || datasetName === '')
    throw new RecordError('datasetName (or dataSetName) is missing');
  if (operation !== undefined && !isOp(operation))
    throw new RecordError('operation must be "replace" or "remove"');
  if (payloadType !== undefined && payloadType !== 'Inline' && payloadType !== 'S3Url')
    throw new RecordError('payloadType must be "Inline" or "S3Url"');
  if (syncCount !== undefined && !isCount(syncCount))
    throw new RecordError('syncCount must be a non-negative integer');
  const rawRecords = raw['kinesisSyncRecords'] ?? [];
  if (!Array.isArray(rawRecords)) throw new RecordError('kinesisSyncRecords must be an array');
  const url = raw['kinesisSyncRecordsURL'];
  const lastModifiedDate = toMillis(raw['lastModifiedDate']) ?? null;
  if (Number.isNaN(lastModifiedDate)) throw new RecordError('lastModifiedDate must be epoch ms');
  const parentCount = syncCount ?? 0;
  const kinesisSyncRecords = rawRecords.map((r, i) => toSyncRecord(r, i, parentCount));
  return {
    identityPoolId,
    identityId,
    datasetName,
    operation: operation ?? 'replace',
    payloadType:
      payloadType ?? (typeof url === 'string' && rawRecords.length === 0 ? 'S3Url' : 'Inline'),
    kinesisSyncRecords,
    kinesisSyncRecordsURL: typeof url === 'string' ? url : null,
    syncCount: syncCount ?? Math.max(0, ...kinesisSyncRecords.map((r) => r.syncCount)),
    lastModifiedDate,
    line,
  };
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** The stream record inside a Kinesis record (`Data`, or a Lambda event's `kinesis.data`). */
function kinesisData(value: Json): string | null {
  if (typeof value['Data'] === 'string') return value['Data'];
  const kinesis = value['kinesis'];
  if (isObject(kinesis) && typeof kinesis['data'] === 'string') return kinesis['data'];
  return null;
}

/**
 * Parses an export (JSON Lines, JSON array, or Kinesis records with base64 `Data`). Lines that
 * are not stream records are reported with their line number; the rest still parse.
 */
export function parseCognitoExport(text: string): ParsedCognitoExport {
  const result: ParsedCognitoExport = { records: [], skipped: [], errors: [] };

  const collect = (value: unknown, line: number, path: string): void => {
    const at = (message: string) => (path ? `${path}: ${message}` : message);
    try {
      if (Array.isArray(value)) {
        value.forEach((item, i) => collect(item, line, `${path}[${i}]`));
        return;
      }
      if (isObject(value) && Array.isArray(value['Records'])) {
        value['Records'].forEach((item, i) => collect(item, line, `${path}Records[${i}]`));
        return;
      }
      let raw = value;
      const data = isObject(value) ? kinesisData(value) : null;
      if (data !== null) {
        const compact = data.replace(/\s/g, '');
        if (!BASE64.test(compact)) throw new RecordError('Data is not base64');
        try {
          raw = JSON.parse(Buffer.from(compact, 'base64').toString('utf8'));
        } catch {
          throw new RecordError('Data is not base64-encoded JSON');
        }
      }
      const record = toStreamRecord(raw, line);
      if (record.payloadType === 'S3Url') {
        result.skipped.push({
          identityId: record.identityId,
          datasetName: record.datasetName,
          line,
          reason: S3URL_REASON,
        });
      } else {
        result.records.push(record);
      }
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      result.errors.push({ line, message: at(error.message) });
    }
  };

  const unmarked = text.replace(/^\uFEFF/, '');
  const trimmed = unmarked.trim();
  /** Lines before the document (blank ones), for the line numbers of a JSON document. */
  const linesBefore =
    unmarked.slice(0, unmarked.length - unmarked.trimStart().length).split('\n').length - 1;
  if (trimmed === '') return result;
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let document: unknown;
    let parsed = false;
    try {
      document = JSON.parse(trimmed);
      parsed = true;
    } catch (error) {
      // `{` may start JSON Lines; `[` cannot (a line of JSON Lines is an object).
      if (trimmed.startsWith('[')) {
        result.errors.push({
          line: linesBefore + errorLine(trimmed),
          message: jsonMessage(error),
        });
        return result;
      }
    }
    if (parsed) {
      if (Array.isArray(document)) document.forEach((item, i) => collect(item, i + 1, ''));
      else collect(document, 1, '');
      return result;
    }
  }
  text.split(/\r?\n/).forEach((lineText, i) => {
    if (lineText.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (error) {
      result.errors.push({ line: i + 1, message: `not JSON: ${jsonMessage(error)}` });
      return;
    }
    collect(value, i + 1, '');
  });
  return result;
}

const jsonMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The line of the syntax error that made JSON.parse reject `text`. V8 names a position only for
 * some errors, so the offending character is found as the shortest prefix that fails for a
 * reason other than ending early.
 */
function errorLine(text: string): number {
  const failsInside = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return false;
    } catch (error) {
      const message = jsonMessage(error);
      if (/end of JSON input/.test(message)) return false;
      const position = /at position (\d+)/.exec(message);
      return !position || Number(position[1]) < length;
    }
  };
  let low = 1;
  let high = text.length;
  if (!failsInside(high)) return text.split('\n').length;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (failsInside(mid)) high = mid;
    else low = mid + 1;
  }
  return text.slice(0, low).split('\n').length;
}

// ---------------------------------------------------------------------------------------------
// Import

export interface ImportCognitoExportOptions {
  /** The Tandem pool to import into (it must exist). */
  identityPoolId: string;
  records: readonly CognitoStreamRecord[];
  /** Compute and report, write nothing. */
  dryRun?: boolean | undefined;
  /**
   * Import records of other pools (the AWS pool id) into `identityPoolId`. Without it an
   * export naming another pool is refused.
   */
  remapPool?: boolean | undefined;
  /** Told each committed change (e.g. `changeFeed.publish`), after its commit. */
  onChange?: ((change: CommittedChange) => void) | undefined;
}

export interface ImportSummary {
  dryRun: boolean;
  identitiesCreated: number;
  datasetsWritten: number;
  /** Record writes (removals included) of the datasets written. */
  recordsWritten: number;
  datasetsDeleted: number;
  /** Datasets whose server state already equals the export's final state. */
  datasetsUnchanged: number;
  skipped: ImportSkipped[];
  failed: ImportFailure[];
}

/** The import's writes: system writes (no sync trigger), LastModifiedBy `import`. */
export const IMPORT_WRITER: Writer = { source: 'system', lastModifiedBy: 'import' };

interface FinalKey {
  value: string | null;
  syncCount: number;
  deviceLastModifiedDate: number | null;
}

interface FinalDataset {
  /** The dataset's last change in the export deleted it. */
  deleted: boolean;
  records: Map<string, FinalKey>;
}

/** Replays one dataset's stream records in sync-count order. */
function finalState(records: readonly CognitoStreamRecord[]): FinalDataset {
  const ordered = records
    .map((record, order) => ({ record, order }))
    .sort(
      (a, b) =>
        a.record.syncCount - b.record.syncCount ||
        (a.record.lastModifiedDate ?? 0) - (b.record.lastModifiedDate ?? 0) ||
        a.order - b.order,
    );
  const state: FinalDataset = { deleted: false, records: new Map() };
  for (const { record } of ordered) {
    if (record.operation === 'remove' && record.kinesisSyncRecords.length === 0) {
      state.deleted = true;
      state.records.clear();
      continue;
    }
    if (record.kinesisSyncRecords.length > 0) state.deleted = false;
    for (const r of record.kinesisSyncRecords) {
      const previous = state.records.get(r.key);
      if (previous && r.syncCount < previous.syncCount) continue;
      state.records.set(r.key, {
        value: r.op === 'remove' ? null : r.value,
        syncCount: r.syncCount,
        deviceLastModifiedDate: r.deviceLastModifiedDate,
      });
    }
  }
  return state;
}

/** A device time Tandem can store (integer ms in range), else none. */
function deviceTime(ms: number | null): number | undefined {
  if (ms === null || !Number.isFinite(ms)) return undefined;
  const rounded = Math.round(ms);
  return rounded >= 0 && rounded <= MAX_TIMESTAMP_MS ? rounded : undefined;
}

/** The keys, values and dataset name Tandem would refuse, as one message. */
function validateDataset(datasetName: string, state: FinalDataset): string | null {
  const name = datasetNameSchema.safeParse(datasetName);
  if (!name.success) return `Dataset name '${datasetName}': ${name.error.issues[0]?.message}`;
  for (const [key, { value }] of state.records) {
    const k = recordKeySchema.safeParse(key);
    if (!k.success) return `Record key '${key.slice(0, 64)}': ${k.error.issues[0]?.message}`;
    if (value !== null) {
      const v = recordValueSchema.safeParse(value);
      if (!v.success) return `Value of record '${key.slice(0, 64)}': ${v.error.issues[0]?.message}`;
    }
  }
  return null;
}

async function readCurrent(
  database: Database,
  identityId: string,
  datasetName: string,
): Promise<Map<string, StoredRecordState>> {
  const current = new Map<string, StoredRecordState>();
  let nextToken: string | undefined;
  do {
    const page = await listRecords(database.sql, {
      identityId,
      datasetName,
      nextToken,
      maxResults: MAX_RECORDS_PER_DATASET,
    });
    for (const r of page.records) current.set(r.key, { value: r.value, syncCount: r.syncCount });
    nextToken = page.nextToken ?? undefined;
  } while (nextToken);
  return current;
}

/** The patches that bring `current` to `state` (nothing for keys already there). */
function patchesFor(
  state: FinalDataset,
  current: ReadonlyMap<string, StoredRecordState>,
): RecordPatch[] {
  const patches: RecordPatch[] = [];
  for (const [key, wanted] of state.records) {
    const stored = current.get(key);
    const storedValue = stored?.value ?? null;
    if (storedValue === wanted.value) continue;
    const device = deviceTime(wanted.deviceLastModifiedDate);
    patches.push({
      op: wanted.value === null ? 'remove' : 'replace',
      key,
      ...(wanted.value === null ? {} : { value: wanted.value }),
      syncCount: stored?.syncCount ?? 0,
      ...(device === undefined ? {} : { deviceLastModifiedDate: device }),
    });
  }
  return patches;
}

/** A concurrent write moved a key between our read and our write: read again, this often. */
const CONFLICT_ATTEMPTS = 3;

/**
 * Imports parsed stream records into `identityPoolId`. Identities are created with their
 * exported ids (owner `aws-guest:import:<id>`, unauthenticated). A dataset Tandem refuses
 * (limits, invalid names) is reported in `failed` and the rest continue; an export naming
 * another pool is refused as a whole unless `remapPool`.
 */
export async function importCognitoExport(
  database: Database,
  options: ImportCognitoExportOptions,
): Promise<ImportSummary> {
  const { identityPoolId } = options;
  const dryRun = options.dryRun ?? false;
  await getIdentityPool(database.db, identityPoolId);
  const foreignPools = [
    ...new Set(options.records.map((r) => r.identityPoolId).filter((id) => id !== identityPoolId)),
  ].sort();
  if (foreignPools.length > 0 && !options.remapPool) {
    throw invalidParameter(
      `The export holds records of identity pool ${foreignPools.join(', ')}, not ${identityPoolId}; ` +
        'import them with remapPool (--remap-pool) to move them into this pool.',
    );
  }

  const summary: ImportSummary = {
    dryRun,
    identitiesCreated: 0,
    datasetsWritten: 0,
    recordsWritten: 0,
    datasetsDeleted: 0,
    datasetsUnchanged: 0,
    skipped: [],
    failed: [],
  };

  const byIdentity = new Map<string, Map<string, CognitoStreamRecord[]>>();
  for (const record of options.records) {
    if (record.payloadType === 'S3Url') {
      summary.skipped.push({
        identityId: record.identityId,
        datasetName: record.datasetName,
        line: record.line,
        reason: S3URL_REASON,
      });
      continue;
    }
    let datasets = byIdentity.get(record.identityId);
    if (!datasets) byIdentity.set(record.identityId, (datasets = new Map()));
    const list = datasets.get(record.datasetName);
    if (list) list.push(record);
    else datasets.set(record.datasetName, [record]);
  }

  const fail = (identityId: string, datasetName: string | null, error: unknown) => {
    if (!isSyncError(error)) throw error;
    summary.failed.push({ identityId, datasetName, error: error.kind, message: error.message });
  };

  for (const identityId of [...byIdentity.keys()].sort()) {
    const datasets = byIdentity.get(identityId)!;
    const names = [...datasets.keys()].sort();
    const failAll = (error: unknown) => {
      for (const name of names) fail(identityId, name, error);
    };
    const validId = identityIdSchema.safeParse(identityId);
    if (!validId.success) {
      failAll(invalidParameter(`Identity id '${identityId}': ${validId.error.issues[0]?.message}`));
      continue;
    }
    /** Dry run: the identity's live datasets as the import would leave them. */
    let liveDatasets: Set<string> | null = null;
    try {
      if (dryRun) {
        const existing = await findIdentityById(database.db, identityId);
        if (existing && existing.identityPoolId !== identityPoolId) {
          throw invalidParameter(
            `Identity '${identityId}' already exists in another identity pool (${existing.identityPoolId}).`,
          );
        }
        if (!existing) summary.identitiesCreated++;
        liveDatasets = new Set(
          existing
            ? (
                await listDatasets(database.db, {
                  identityId,
                  maxResults: 1024,
                })
              ).datasets.map((d) => d.datasetName)
            : [],
        );
      } else {
        const { created } = await ensureImportedIdentity(database.db, {
          identityPoolId,
          identityId,
        });
        if (created) summary.identitiesCreated++;
      }
    } catch (error) {
      failAll(error);
      continue;
    }

    for (const datasetName of names) {
      const state = finalState(datasets.get(datasetName)!);
      const invalid = validateDataset(datasetName, state);
      if (invalid) {
        fail(identityId, datasetName, invalidParameter(invalid));
        continue;
      }
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            await applyDataset(database, {
              identityPoolId,
              identityId,
              datasetName,
              state,
              summary,
              liveDatasets,
              onChange: options.onChange,
            });
            break;
          } catch (error) {
            const conflict = isSyncError(error) && error.kind === 'ResourceConflictException';
            if (!conflict || attempt >= CONFLICT_ATTEMPTS) throw error;
          }
        }
      } catch (error) {
        fail(identityId, datasetName, error);
      }
    }
  }
  return summary;
}

async function applyDataset(
  database: Database,
  args: {
    identityPoolId: string;
    identityId: string;
    datasetName: string;
    state: FinalDataset;
    summary: ImportSummary;
    /** Set on a dry run only. */
    liveDatasets: Set<string> | null;
    onChange: ((change: CommittedChange) => void) | undefined;
  },
): Promise<void> {
  const { identityPoolId, identityId, datasetName, state, summary, liveDatasets } = args;
  const row = await findDataset(database.db, identityId, datasetName);
  const exists = row?.exists ?? false;

  if (state.deleted) {
    if (!exists) {
      summary.datasetsUnchanged++;
      return;
    }
    if (liveDatasets) {
      liveDatasets.delete(datasetName);
    } else {
      const { change } = await deleteDataset(database.db, {
        identityPoolId,
        identityId,
        datasetName,
        writer: IMPORT_WRITER,
      });
      args.onChange?.(change);
    }
    summary.datasetsDeleted++;
    return;
  }

  const current = exists ? await readCurrent(database, identityId, datasetName) : new Map();
  const patches = patchesFor(state, current);
  if (patches.length === 0) {
    summary.datasetsUnchanged++;
    return;
  }
  if (liveDatasets) {
    // What updateRecords would check: the dataset limit on creation, then the record limits.
    if (!exists && !liveDatasets.has(datasetName)) assertCanCreateDataset(liveDatasets.size);
    planPatches({
      datasetSyncCount: row?.syncCount ?? 0,
      totals: exists && row ? row : { numRecords: 0, dataStorage: 0 },
      current,
      patches,
    });
    liveDatasets.add(datasetName);
  } else {
    const { change } = await updateRecords(database, {
      identityPoolId,
      identityId,
      datasetName,
      patches,
      writer: IMPORT_WRITER,
    });
    if (change) args.onChange?.(change);
  }
  summary.datasetsWritten++;
  summary.recordsWritten += patches.length;
}
