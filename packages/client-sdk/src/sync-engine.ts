/**
 * One synchronize() of one dataset: spec §9's pull-then-push, with the hardening SPEC.md lists.
 *
 * Ordering and safety, in short:
 * - Every decision that depends on local state runs inside one store transaction, so an edit
 *   the app makes while the sync is on the network is never overwritten (I3, I4).
 * - The dataset's `lastSyncCount` only moves forward in the same transaction that applies
 *   everything up to it (I2): a crash at any point leaves a state the next sync can finish.
 * - Before pushing, each record remembers what was sent (`pushed`). If the answer is lost,
 *   the next pull recognises the write as this device's own, so it is neither pushed twice nor
 *   reported as a conflict (I5). If another device overwrote it since, the server says whether
 *   the push committed: if it did, the newer version is taken as is (I6).
 * - The caller holds the dataset's sync lock: one sync per dataset per device at a time (I1).
 */
import {
  MAX_PATCHES_PER_UPDATE,
  type ListRecordsResponse,
  type RecordPatch,
  type SyncRecord,
} from '@tandem/sync-protocol';
import { defaultConflictResolution, SyncConflict, type ConflictResolution } from './conflict.js';
import { TandemSyncError, toSyncError } from './errors.js';
import {
  newDatasetMeta,
  type DatasetMeta,
  type DatasetView,
  type LocalRecord,
  type LocalStore,
} from './store/types.js';
import type { Transport } from './transport.js';

export interface SyncCallbacks {
  /**
   * Keys changed here and on the server since this device last synced, with different values.
   * Resolve each (`resolveWithRemote()`, `resolveWithLocal()`, `resolveWithValue(v)`); any left
   * unresolved get the default: the most recent change wins. Return `false` to stop the sync and
   * keep the local changes pending.
   */
  onConflict?(
    conflicts: readonly SyncConflict[],
    datasetName: string,
  ): boolean | void | Promise<boolean | void>;
  /**
   * Another device deleted the dataset. `true` (the default) accepts: synced records go, local
   * changes not yet pushed stay and re-create it. `false` stops the sync.
   */
  onDatasetDeleted?(datasetName: string): boolean | Promise<boolean>;
  /**
   * The identity was merged with another (a guest signed in to an existing account) and that
   * identity's dataset of this name now lives here as `<name>.<otherIdentityId>`. Read and
   * delete those to finish the merge. Called on every sync until they are gone. `true` (the
   * default) continues the sync.
   */
  onDatasetsMerged?(datasetName: string, mergedDatasetNames: string[]): boolean | Promise<boolean>;
  onSuccess?(result: SyncResult): void;
  onFailure?(error: TandemSyncError): void;
}

export interface SyncResult {
  datasetName: string;
  /** Records the server sent that changed local state. */
  pulled: number;
  /** Records this device pushed and the server accepted. */
  pushed: number;
  conflicts: number;
  /** The dataset's server sync count this device has now applied. */
  syncCount: number;
  /** Local changes still waiting (made during this sync); another sync is scheduled. */
  pending: number;
}

export interface SyncContext {
  store: LocalStore;
  transport: Transport;
  namespace: string;
  identityPoolId: string;
  datasetName: string;
  deviceId: string;
  callbacks: SyncCallbacks;
  /** Rounds after a conflict (409) or a write made during the push. Spec §9.1: 3. */
  maxRetries: number;
  now(): number;
  /** Called after local records changed because of the server (to refresh views and tabs). */
  onRemoteApplied(keys: string[]): void;
  signal?: AbortSignal;
  /** Pauses between rounds after a 409 (small, randomised, so racing devices spread out). */
  sleep(ms: number): Promise<void>;
}

const fromRemote = (record: SyncRecord): LocalRecord => ({
  key: record.key,
  value: record.value,
  syncCount: record.syncCount,
  lastModifiedDate: record.lastModifiedDate,
  lastModifiedBy: record.lastModifiedBy,
  deviceLastModifiedDate: record.deviceLastModifiedDate ?? record.lastModifiedDate,
  modified: false,
  localVersion: 0,
  pushed: null,
});

/** The server sent back what this device pushed (identified by value and device time). */
const isOwnWrite = (local: LocalRecord, remote: SyncRecord) =>
  local.pushed !== null &&
  local.pushed.value === remote.value &&
  local.pushed.deviceLastModifiedDate === remote.deviceLastModifiedDate;

/**
 * A push whose answer never came, unedited since, and the server now holds something else for
 * the key: either the push committed and was overwritten by someone who saw it, or it never
 * landed. Only the server can tell (`lastDeviceWrite`).
 */
const isInDoubt = (local: LocalRecord, remote: SyncRecord) =>
  local.modified &&
  local.pushed !== null &&
  local.pushed.localVersion === local.localVersion &&
  !isOwnWrite(local, remote) &&
  local.value !== remote.value;

/**
 * What the server said about this device's unanswered push: the newest sync count it wrote in
 * the dataset after the push's base (null: none). Undefined when nothing was in doubt.
 */
export type PushOutcome = { lastDeviceWrite: number | null } | undefined;

const pushCommitted = (local: LocalRecord, outcome: PushOutcome) =>
  outcome !== undefined &&
  local.pushed !== null &&
  outcome.lastDeviceWrite !== null &&
  outcome.lastDeviceWrite > local.pushed.afterSyncCount;

interface MergePlan {
  put: LocalRecord[];
  conflicts: Array<{ local: LocalRecord; remote: SyncRecord }>;
}

/**
 * How pulled records meet local ones (pure; runs inside a transaction).
 * A remote record conflicts only with a local change that was not based on it (different sync
 * count) and holds a different value (spec §9.2's rule, as in the Android SDK).
 */
export function planMerge(
  view: DatasetView,
  remote: readonly SyncRecord[],
  outcome?: PushOutcome,
): MergePlan {
  const plan: MergePlan = { put: [], conflicts: [] };
  for (const record of remote) {
    const local = view.records.get(record.key);
    if (!local || !local.modified) {
      if (!local || local.syncCount !== record.syncCount || local.value !== record.value) {
        plan.put.push(fromRemote(record));
      }
      continue;
    }
    if (isInDoubt(local, record) && outcome !== undefined) {
      // Committed: our write is in the history and was overwritten by a device that saw it
      // (or rewritten by the sync trigger); pushing it again would undo that. Not committed: an
      // ordinary unpushed change, judged by the rule below.
      if (pushCommitted(local, outcome)) {
        plan.put.push(fromRemote(record));
        continue;
      }
    }
    if (isOwnWrite(local, record)) {
      // Acknowledged earlier, answer lost. Edited since? Keep the edit, on top of our write.
      plan.put.push(
        local.localVersion === local.pushed?.localVersion
          ? fromRemote(record)
          : { ...local, syncCount: record.syncCount, pushed: null },
      );
    } else if (local.value === record.value) {
      plan.put.push(fromRemote(record));
    } else if (local.syncCount !== record.syncCount) {
      plan.conflicts.push({ local, remote: record });
    }
    // Same sync count: the local change is already based on this remote version.
  }
  return plan;
}

async function pullAll(ctx: SyncContext, lastSyncCount: number): Promise<ListRecordsResponse> {
  const records: SyncRecord[] = [];
  let nextToken: string | undefined;
  for (;;) {
    const page = await ctx.transport.listRecords(
      {
        identityPoolId: ctx.identityPoolId,
        datasetName: ctx.datasetName,
        lastSyncCount,
        ...(nextToken ? { nextToken } : {}),
      },
      ctx.signal,
    );
    records.push(...page.records);
    if (!page.nextToken) return { ...page, records, count: records.length };
    nextToken = page.nextToken;
  }
}

const modifiedCount = (records: Iterable<LocalRecord>) => {
  let count = 0;
  for (const record of records) if (record.modified) count += 1;
  return count;
};

/** Runs the sync rounds; the caller holds the dataset's lock and reports the outcome. */
export async function runSync(ctx: SyncContext): Promise<SyncResult> {
  const { store, namespace: ns, datasetName: name } = ctx;
  const result: SyncResult = {
    datasetName: name,
    pulled: 0,
    pushed: 0,
    conflicts: 0,
    syncCount: 0,
    pending: 0,
  };
  const call = async <T>(operation: () => Promise<T>): Promise<T> => {
    if (ctx.signal?.aborted) throw new TandemSyncError('Closed', 'The sync was cancelled');
    try {
      return await operation();
    } catch (error) {
      throw toSyncError(error);
    }
  };

  for (let round = 0; ; round += 1) {
    if (round > ctx.maxRetries) {
      throw new TandemSyncError(
        'RetriesExhausted',
        `Dataset ${name} kept changing on the server; gave up after ${ctx.maxRetries} retries`,
      );
    }
    const { meta: storedMeta } = await store.read(ns, name, []);
    const meta = storedMeta ?? newDatasetMeta(name);

    // 1. A local deletion goes first; what the app wrote after it re-creates the dataset.
    if (meta.pendingDelete) {
      await call(() =>
        ctx.transport
          .deleteDataset({ identityPoolId: ctx.identityPoolId, datasetName: name })
          .catch((error: unknown) => {
            if (toSyncError(error).kind !== 'ResourceNotFoundException') throw error;
          }),
      );
      const changed = await store.transact(ns, name, 'all', (view) =>
        resetAfterDeletion(view, name),
      );
      ctx.onRemoteApplied(changed);
      round -= 1; // not a retry
      continue;
    }

    // 2. Pull everything after the last applied sync count.
    const pulled = await call(() => pullAll(ctx, meta.lastSyncCount));
    result.syncCount = meta.lastSyncCount;

    if (pulled.mergedDatasetNames?.length) {
      const proceed =
        (await ctx.callbacks.onDatasetsMerged?.(name, pulled.mergedDatasetNames)) ?? true;
      if (!proceed) throw new TandemSyncError('SyncCancelled', 'onDatasetsMerged declined');
    }

    const deletedRemotely =
      pulled.datasetDeletedAfterRequestedSyncCount ||
      (meta.lastSyncCount > 0 && !pulled.datasetExists);
    if (deletedRemotely) {
      const accept = (await ctx.callbacks.onDatasetDeleted?.(name)) ?? true;
      if (!accept) throw new TandemSyncError('SyncCancelled', 'onDatasetDeleted declined');
      const changed = await store.transact(ns, name, 'all', (view) =>
        resetAfterDeletion(view, name),
      );
      ctx.onRemoteApplied(changed);
    }

    // 3. Apply the pull. Without conflicts, the same transaction advances lastSyncCount.
    const remoteKeys = pulled.records.map((record) => record.key);
    const outcome = await askPushOutcome(ctx, remoteKeys, pulled.records, call);
    const merge = await store.transact(ns, name, remoteKeys, (view) => {
      const current = view.meta ?? meta;
      // The app deleted the dataset while we pulled: that comes first (next round).
      if (current.pendingDelete) return { result: null };
      const plan = planMerge(view, pulled.records, outcome);
      // Known nowhere (never written here, gone on the server): keep it that way, so a
      // deleted dataset is forgotten instead of listed forever.
      if (!view.meta && !pulled.datasetExists && plan.put.length === 0) {
        return { result: plan };
      }
      const advance = plan.conflicts.length === 0;
      return {
        result: plan,
        writes: {
          put: plan.put,
          meta: advance
            ? { ...current, lastSyncCount: pulled.datasetSyncCount, lastSyncedAt: ctx.now() }
            : current,
        },
      };
    });
    if (!merge) {
      round -= 1;
      continue;
    }
    if (merge.put.length) {
      result.pulled += merge.put.length;
      ctx.onRemoteApplied(merge.put.map((record) => record.key));
    }

    if (merge.conflicts.length) {
      result.conflicts += merge.conflicts.length;
      const settled = await resolveConflicts(ctx, merge.conflicts, pulled.datasetSyncCount);
      if (!settled) continue; // the app edited a conflicting key meanwhile: look again
    }
    result.syncCount = Math.max(result.syncCount, pulled.datasetSyncCount);

    // 4. Push local changes, remembering what was sent.
    const outgoing = await store.transact(ns, name, 'all', (view) => {
      if (view.meta?.pendingDelete) return { result: null };
      const afterSyncCount = view.meta?.lastSyncCount ?? 0;
      const patches: RecordPatch[] = [];
      const put: LocalRecord[] = [];
      for (const record of view.records.values()) {
        if (!record.modified || patches.length >= MAX_PATCHES_PER_UPDATE) continue;
        patches.push({
          op: record.value === null ? 'remove' : 'replace',
          key: record.key,
          ...(record.value === null ? {} : { value: record.value }),
          syncCount: record.syncCount,
          deviceLastModifiedDate: record.deviceLastModifiedDate,
        });
        put.push({
          ...record,
          pushed: {
            value: record.value,
            deviceLastModifiedDate: record.deviceLastModifiedDate,
            localVersion: record.localVersion,
            afterSyncCount,
          },
        });
      }
      return { result: patches, writes: { put } };
    });
    if (!outgoing) {
      round -= 1;
      continue;
    }
    if (outgoing.length === 0) {
      result.pending = 0;
      return result;
    }

    let accepted: SyncRecord[];
    try {
      ({ records: accepted } = await call(() =>
        ctx.transport.updateRecords(
          {
            identityPoolId: ctx.identityPoolId,
            datasetName: name,
            deviceId: ctx.deviceId,
            recordPatches: outgoing,
            syncSessionToken: pulled.syncSessionToken,
          },
          ctx.signal,
        ),
      ));
    } catch (error) {
      const failure = toSyncError(error);
      // Refused (4xx): nothing of the push landed (all or nothing), so it is not in doubt. A
      // 5xx may come from a proxy after the server committed, so that stays in doubt.
      if (failure.status !== null && failure.status < 500) await forgetPushed(ctx, outgoing);
      // Someone wrote in between (409) or the token went stale: pull again.
      if (failure.kind === 'ResourceConflictException' || isStaleToken(failure)) {
        await ctx.sleep(50 + Math.random() * 100 * (round + 1));
        continue;
      }
      throw failure;
    }

    // 5. Apply the answer, keeping anything the app changed while it was on the wire.
    const after = await store.transact(ns, name, 'all', (view) => {
      const records = new Map(view.records);
      const put: LocalRecord[] = [];
      for (const record of accepted) {
        const local = records.get(record.key);
        const next =
          local && local.modified && local.localVersion !== local.pushed?.localVersion
            ? { ...local, syncCount: record.syncCount, pushed: null }
            : fromRemote(record);
        records.set(record.key, next);
        put.push(next);
      }
      const current = view.meta ?? meta;
      const newCount = Math.max(0, ...accepted.map((record) => record.syncCount));
      // Fast-forward only when nobody else wrote between our pull and push (spec §9.2);
      // otherwise the next pull fetches their records (and ours, recognised as our own).
      const lastSyncCount =
        newCount === current.lastSyncCount + 1 ? newCount : current.lastSyncCount;
      return {
        result: { pending: modifiedCount(records.values()), lastSyncCount },
        writes: { put, meta: { ...current, lastSyncCount, lastSyncedAt: ctx.now() } },
      };
    });
    result.pushed += accepted.length;
    result.syncCount = after.lastSyncCount;
    result.pending = after.pending;
    ctx.onRemoteApplied(accepted.map((record) => record.key));
    if (after.pending === 0) return result;
    // Edits made during the push (or more than one request's worth): another round.
  }
}

/**
 * Before merging: if a pulled key holds this device's unanswered push and something else now,
 * ask the server whether the push committed. One extra request, only after a lost answer.
 */
async function askPushOutcome(
  ctx: SyncContext,
  keys: string[],
  remote: readonly SyncRecord[],
  call: <T>(operation: () => Promise<T>) => Promise<T>,
): Promise<PushOutcome> {
  if (keys.length === 0) return undefined;
  const { records } = await ctx.store.read(ctx.namespace, ctx.datasetName, keys);
  let afterSyncCount: number | null = null;
  for (const record of remote) {
    const local = records.get(record.key);
    if (local?.pushed && isInDoubt(local, record)) {
      afterSyncCount = Math.min(afterSyncCount ?? Infinity, local.pushed.afterSyncCount);
    }
  }
  if (afterSyncCount === null) return undefined;
  const { syncCount } = await call(() =>
    ctx.transport.lastDeviceWrite(
      {
        identityPoolId: ctx.identityPoolId,
        datasetName: ctx.datasetName,
        deviceId: ctx.deviceId,
        afterSyncCount,
      },
      ctx.signal,
    ),
  );
  return { lastDeviceWrite: syncCount };
}

/** The server refused a push: clear its snapshots, so no later pull takes them as in doubt. */
async function forgetPushed(ctx: SyncContext, patches: readonly RecordPatch[]) {
  const keys = patches.map((patch) => patch.key);
  await ctx.store.transact(ctx.namespace, ctx.datasetName, keys, (view) => {
    const put: LocalRecord[] = [];
    for (const key of keys) {
      const record = view.records.get(key);
      if (record?.pushed) put.push({ ...record, pushed: null });
    }
    return { result: undefined, writes: { put } };
  });
}

const isStaleToken = (error: TandemSyncError) =>
  error.kind === 'InvalidParameterException' && /SyncSessionToken/i.test(error.message);

/**
 * Accepting a deletion (remote, or our own once the server did it): synced records go; local
 * changes not yet pushed stay, based on nothing (sync count 0), and re-create the dataset.
 */
function resetAfterDeletion(view: DatasetView, name: string) {
  const put: LocalRecord[] = [];
  const drop: string[] = [];
  for (const record of view.records.values()) {
    if (record.modified && record.value !== null) {
      put.push({ ...record, syncCount: 0, pushed: null });
    } else {
      drop.push(record.key);
    }
  }
  const changed = [...drop, ...put.map((record) => record.key)];
  // Nothing left to re-create it: forget the dataset here too.
  if (put.length === 0) return { result: changed, writes: { meta: null } };
  const meta: DatasetMeta = {
    ...(view.meta ?? newDatasetMeta(name)),
    lastSyncCount: 0,
    pendingDelete: false,
  };
  return { result: changed, writes: { meta, put, delete: drop } };
}

/** Asks the app, then applies its answers where the local record is still what it saw. */
async function resolveConflicts(
  ctx: SyncContext,
  found: Array<{ local: LocalRecord; remote: SyncRecord }>,
  datasetSyncCount: number,
): Promise<boolean> {
  const conflicts = found.map(({ local, remote }) => new SyncConflict(local, remote));
  const handler = ctx.callbacks.onConflict;
  if (handler) {
    const proceed = await handler(conflicts, ctx.datasetName);
    if (proceed === false) {
      throw new TandemSyncError(
        'ConflictNotResolved',
        `${conflicts.length} conflict(s) in ${ctx.datasetName} were left unresolved; local changes are kept`,
      );
    }
  }
  const answers = new Map<string, ConflictResolution>();
  for (const conflict of conflicts) {
    answers.set(conflict.key, conflict.resolution ?? defaultConflictResolution(conflict));
  }
  const keys = conflicts.map((conflict) => conflict.key);
  const outcome = await ctx.store.transact(ctx.namespace, ctx.datasetName, keys, (view) => {
    const put: LocalRecord[] = [];
    let settled = true;
    let clock = view.meta?.localClock ?? 0;
    for (const { local, remote } of found) {
      const current = view.records.get(local.key);
      if (!current || current.localVersion !== local.localVersion || !current.modified) {
        settled = false; // changed since the app looked; the next round decides again
        continue;
      }
      const answer = answers.get(local.key)!;
      if (answer.kind === 'remote') {
        put.push(fromRemote(remote));
      } else if (answer.kind === 'local') {
        put.push({ ...current, syncCount: remote.syncCount, pushed: null });
      } else {
        clock += 1;
        put.push({
          ...current,
          value: answer.value,
          syncCount: remote.syncCount,
          deviceLastModifiedDate: ctx.now(),
          localVersion: clock,
          pushed: null,
        });
      }
    }
    const meta = view.meta ?? newDatasetMeta(ctx.datasetName);
    return {
      result: { settled, changed: put.map((record) => record.key) },
      writes: {
        put,
        meta: settled
          ? { ...meta, localClock: clock, lastSyncCount: datasetSyncCount, lastSyncedAt: ctx.now() }
          : { ...meta, localClock: clock },
      },
    };
  });
  if (outcome.changed.length) ctx.onRemoteApplied(outcome.changed);
  return outcome.settled;
}
