/**
 * Runs a pool's sync trigger on an identity's UpdateRecords (spec §11, DESIGN §4 step 4) and
 * turns its answer into the patches written. Admin and system writes never come here.
 *
 * Ordering and safety:
 * - The trigger runs before the write transaction: no lock is held while it runs (up to 5 s).
 * - The dataset's records are read once (one statement, one snapshot): live records for the
 *   event and the patched keys (tombstones included) for their sync counts. Stale patches are
 *   refused here, with the db layer's ResourceConflictException, before the trigger runs.
 * - Every patch written carries a sync count from that snapshot: the client's (equal to the
 *   snapshot's, as just checked) or, for keys only the trigger changed, the snapshot's. The db
 *   layer checks them again under the dataset lock, so a write that commits between snapshot
 *   and lock makes this one fail with ResourceConflictException; the client pulls and retries.
 * - Any trigger failure throws its typed error before anything is written. Limits (records,
 *   bytes) are enforced by the db layer on the final patches.
 */
import type { IdentityRow, Statement } from '@tandem/db';
import { assertDistinctKeys, staleSyncCount } from '@tandem/domain';
import {
  syncTriggerSettingsSchema,
  type RecordPatch,
  type SyncTriggerSettings,
} from '@tandem/sync-protocol';
import { createSyncTriggerRunner, type SyncTriggerEvent } from '@tandem/triggers';
import type { ApiDeps } from './context.js';

const READ_SYNC_TRIGGER: Statement = {
  name: 'tandem_read_sync_trigger',
  text: 'SELECT sync_trigger FROM identity_pool_settings WHERE identity_pool_id = $1',
};

/**
 * The dataset's sync count, its live records, and the given keys also when they are tombstones
 * (one row with a null key when there are none).
 */
const READ_TRIGGER_SNAPSHOT: Statement = {
  name: 'tandem_read_trigger_snapshot',
  text: `SELECT d.sync_count::int8 AS dataset_sync_count, r.key, r.value, r.sync_count::int8 AS sync_count
     FROM (SELECT 1) AS one
     LEFT JOIN dataset d ON d.identity_id = $1 AND d.name = $2
     LEFT JOIN record r ON r.identity_id = $1 AND r.dataset_name = $2
       AND (r.value IS NOT NULL OR r.key = ANY($3::text[]))`,
};

const READ_SYNC_COUNTS: Statement = {
  name: 'tandem_read_trigger_sync_counts',
  text: `SELECT key, sync_count::int8 AS sync_count FROM record
     WHERE identity_id = $1 AND dataset_name = $2 AND key = ANY($3::text[])`,
};

interface Stored {
  value: string | null;
  syncCount: number;
}

/** The pool's enabled trigger, or null (cached briefly per process). */
export async function enabledSyncTrigger(
  deps: ApiDeps,
  identityPoolId: string,
): Promise<SyncTriggerSettings | null> {
  const cached = deps.caches.syncTriggers.get(identityPoolId);
  if (cached) return cached.trigger;
  const [row] = await deps.database.sql.query<{ sync_trigger: unknown }>(READ_SYNC_TRIGGER, [
    identityPoolId,
  ]);
  const parsed = syncTriggerSettingsSchema.safeParse(row?.sync_trigger);
  const trigger = parsed.success && parsed.data.enabled ? parsed.data : null;
  deps.caches.syncTriggers.set(identityPoolId, { trigger });
  return trigger;
}

const valueOf = (patch: RecordPatch) => (patch.op === 'replace' ? (patch.value ?? '') : null);
const resultOf = (entry: { newValue: string | null; op: 'replace' | 'remove' }) =>
  entry.op === 'remove' ? null : entry.newValue;

/**
 * The patches to write for this UpdateRecords: the client's when the pool has no enabled
 * trigger, else the client's as rewritten by the trigger.
 */
export async function applySyncTrigger(
  deps: ApiDeps,
  identity: IdentityRow,
  input: { datasetName: string; recordPatches: RecordPatch[] },
): Promise<RecordPatch[]> {
  const patches = input.recordPatches;
  // Nothing to write, nothing to trigger: the db layer returns without a new sync count.
  if (patches.length === 0) return patches;
  const trigger = await enabledSyncTrigger(deps, identity.identityPoolId);
  if (!trigger) return patches;
  assertDistinctKeys(patches);

  const rows = await deps.database.sql.query<{
    dataset_sync_count: string | number | null;
    key: string | null;
    value: string | null;
    sync_count: string | number | null;
  }>(READ_TRIGGER_SNAPSHOT, [identity.id, input.datasetName, patches.map((p) => p.key)]);
  const snapshot = new Map<string, Stored>();
  for (const r of rows) {
    if (r.key !== null) snapshot.set(r.key, { value: r.value, syncCount: Number(r.sync_count) });
  }
  const datasetSyncCount = Number(rows[0]?.dataset_sync_count ?? 0);
  for (const patch of patches) {
    const stored = snapshot.get(patch.key)?.syncCount ?? 0;
    if (patch.syncCount !== stored) throw staleSyncCount(patch.key, stored, patch.syncCount);
  }

  // The pool's region is the prefix of its id (`<region>:<uuid>`), as in Cognito.
  const region = identity.identityPoolId.split(':')[0] ?? deps.region;
  const event = buildEvent(identity, input.datasetName, region, snapshot, patches);
  deps.syncTriggers ??= createSyncTriggerRunner();
  const output = await deps.syncTriggers.run({
    identityPoolId: identity.identityPoolId,
    target: trigger.target,
    event,
    signingSecret:
      trigger.target.kind === 'webhook'
        ? deps.secrets.syncTriggerSigningSecret(identity.identityPoolId)
        : '',
  });
  return patchesFromOutput(deps, identity, input.datasetName, {
    event,
    output,
    snapshot,
    datasetSyncCount,
    patches,
  });
}

function buildEvent(
  identity: IdentityRow,
  datasetName: string,
  region: string,
  snapshot: ReadonlyMap<string, Stored>,
  patches: readonly RecordPatch[],
): SyncTriggerEvent {
  const datasetRecords: SyncTriggerEvent['datasetRecords'] = {};
  for (const [key, stored] of snapshot) {
    if (stored.value !== null) {
      datasetRecords[key] = { oldValue: stored.value, newValue: stored.value, op: 'replace' };
    }
  }
  for (const patch of patches) {
    datasetRecords[patch.key] = {
      oldValue: snapshot.get(patch.key)?.value ?? null,
      newValue: valueOf(patch),
      op: patch.op,
    };
  }
  return {
    version: 2,
    eventType: 'SyncTrigger',
    region,
    identityPoolId: identity.identityPoolId,
    identityId: identity.id,
    datasetName,
    datasetRecords,
  };
}

async function patchesFromOutput(
  deps: ApiDeps,
  identity: IdentityRow,
  datasetName: string,
  args: {
    event: SyncTriggerEvent;
    output: SyncTriggerEvent;
    snapshot: ReadonlyMap<string, Stored>;
    datasetSyncCount: number;
    patches: readonly RecordPatch[];
  },
): Promise<RecordPatch[]> {
  const { event, output, snapshot, patches } = args;
  const patched = new Map(patches.map((p) => [p.key, p]));
  /** Keys whose outcome the trigger changed, and the value it chose (null: removed). */
  const changed = new Map<string, string | null>();
  for (const [key, entry] of Object.entries(output.datasetRecords)) {
    const value = resultOf(entry);
    const sent = Object.hasOwn(event.datasetRecords, key) ? event.datasetRecords[key] : undefined;
    if (sent && resultOf(sent) === value) continue; // as the client sent it (or untouched)
    // Removing a key that is neither live nor patched changes nothing.
    if (value === null && !patched.has(key) && (snapshot.get(key)?.value ?? null) === null) {
      continue;
    }
    changed.set(key, value);
  }

  const result = patches.map((patch): RecordPatch => {
    if (!changed.has(patch.key)) return patch;
    const value = changed.get(patch.key) ?? null;
    return {
      key: patch.key,
      syncCount: patch.syncCount,
      ...(value === null ? { op: 'remove' } : { op: 'replace', value }),
      ...(patch.deviceLastModifiedDate === undefined
        ? {}
        : { deviceLastModifiedDate: patch.deviceLastModifiedDate }),
    };
  });
  const added = [...changed.keys()].filter((key) => !patched.has(key));
  // Keys the trigger added may be tombstones the snapshot did not read. Read now, a row written
  // after the snapshot (above its dataset count) is a concurrent write: refuse, as the lock would.
  const unknown = added.filter((key) => !snapshot.has(key));
  const tombstones = new Map<string, number>();
  if (unknown.length > 0) {
    const rows = await deps.database.sql.query<{ key: string; sync_count: string | number }>(
      READ_SYNC_COUNTS,
      [identity.id, datasetName, unknown],
    );
    for (const row of rows) {
      const stored = Number(row.sync_count);
      if (stored > args.datasetSyncCount) throw staleSyncCount(row.key, stored, 0);
      tombstones.set(row.key, stored);
    }
  }
  for (const key of added) {
    const value = changed.get(key) ?? null;
    const syncCount = snapshot.get(key)?.syncCount ?? tombstones.get(key) ?? 0;
    result.push(
      value === null ? { op: 'remove', key, syncCount } : { op: 'replace', key, value, syncCount },
    );
  }
  return result;
}
