/**
 * The SQL behind a change-log consumer: reading committed rows in a commit-safe order, the
 * durable checkpoint, and the lease that lets one replica of a consumer run at a time.
 *
 * Why not "rows with id > last id"? `change_log.id` comes from a sequence, and a sequence value
 * is taken when the row is inserted, not when its transaction commits. Transaction A can take
 * id 7, transaction B id 8, and B can commit first. A reader that sees 8, handles it and
 * remembers "8" will never look at 7 again once A commits: the row is skipped for good
 * (research perf-reliability §B3).
 *
 * The rule used here: every row carries `tx_id`, the 64-bit id of the transaction that wrote it
 * (`pg_current_xact_id()`). The reader asks its own snapshot for `xmin`
 * (`pg_snapshot_xmin(pg_current_snapshot())`): the oldest transaction id that was still running
 * when the snapshot was taken. Every transaction with an id below xmin has finished (committed
 * or rolled back), and every transaction that has not finished, or has not written yet, has or
 * will get an id at or above xmin. So the rows with `tx_id < xmin` form a closed set: it will
 * never grow below that line. Reading only those rows, in `(tx_id, id)` order, and remembering
 * the `(tx_id, id)` of the last row handled as the checkpoint, the next read
 * (`(tx_id, id) > checkpoint and tx_id < new xmin`) can only find rows above the checkpoint —
 * a late committer always sorts after everything already handled, so nothing is skipped.
 *
 * The price is latency, never loss: a long-running transaction that has written anything holds
 * xmin back, and rows of transactions that committed after it wait until it ends. `tx_id`
 * order is the order in which transactions wrote their first row, which for the change log is
 * per dataset the sync-count order (a dataset's writes are serialised by its row lock).
 */
import type { Database, SqlRunner } from '@tandem/db';

/** One committed change_log row, as delivered to a consumer's handler. */
export interface ChangeLogEntry {
  id: number;
  /** The writing transaction (xid8, as a decimal string). */
  txId: string;
  identityPoolId: string;
  identityId: string;
  datasetName: string;
  syncCount: number;
  kind: 'update' | 'delete' | 'merge';
  records: unknown[];
  lastModifiedBy: string | null;
  deviceId: string | null;
  source: 'identity' | 'admin' | 'system';
  committedAt: Date;
}

/** The position of the last handled row; `{ txId: '0', id: 0 }` before the first. */
export interface Checkpoint {
  txId: string;
  id: number;
  /**
   * For a consumer started "from now": the snapshot taken at its start. Rows of transactions
   * already committed in it are skipped (see change_log_consumer.start_snapshot).
   */
  startSnapshot?: string | null | undefined;
}

interface EntryRow {
  id: unknown;
  tx_id: string;
  identity_pool_id: string;
  identity_id: string;
  dataset_name: string;
  sync_count: unknown;
  kind: ChangeLogEntry['kind'];
  records: unknown;
  last_modified_by: string | null;
  device_id: string | null;
  source: ChangeLogEntry['source'];
  committed_at_ms: unknown;
}

const entryColumns = `id::int8 as id, tx_id::text as tx_id, identity_pool_id, identity_id,
  dataset_name, sync_count::int8 as sync_count, kind, records, last_modified_by, device_id,
  source, (extract(epoch from committed_at) * 1000)::float8 as committed_at_ms`;

const readBatchStatement = {
  name: 'change_log_read_batch',
  text: `select ${entryColumns} from change_log
    where tx_id < pg_snapshot_xmin(pg_current_snapshot())
      and (tx_id, id) > ($1::xid8, $2::int8)
      and ($4::pg_snapshot is null or not pg_visible_in_snapshot(tx_id, $4::pg_snapshot))
    order by tx_id, id
    limit $3`,
};

/** The same for one identity pool (index change_log_pool_tx_idx). */
const readPoolBatchStatement = {
  name: 'change_log_read_pool_batch',
  text: `select ${entryColumns} from change_log
    where identity_pool_id = $4
      and tx_id < pg_snapshot_xmin(pg_current_snapshot())
      and (tx_id, id) > ($1::xid8, $2::int8)
      and ($5::pg_snapshot is null or not pg_visible_in_snapshot(tx_id, $5::pg_snapshot))
    order by tx_id, id
    limit $3`,
};

/**
 * Up to `limit` committed rows after `after`, in commit-safe order (see the file comment); with
 * `identityPoolId`, only that pool's rows (each pool's stream export is its own consumer, so a
 * failing sink holds up only its own pool).
 */
export async function readCommittedBatch(
  sql: SqlRunner,
  after: Checkpoint,
  limit: number,
  identityPoolId?: string,
): Promise<ChangeLogEntry[]> {
  const start = after.startSnapshot ?? null;
  const rows =
    identityPoolId === undefined
      ? await sql.query<EntryRow>(readBatchStatement, [after.txId, after.id, limit, start])
      : await sql.query<EntryRow>(readPoolBatchStatement, [
          after.txId,
          after.id,
          limit,
          identityPoolId,
          start,
        ]);
  return rows.map((r) => ({
    id: Number(r.id),
    txId: r.tx_id,
    identityPoolId: r.identity_pool_id,
    identityId: r.identity_id,
    datasetName: r.dataset_name,
    syncCount: Number(r.sync_count),
    kind: r.kind,
    records: (typeof r.records === 'string' ? JSON.parse(r.records) : r.records) as unknown[],
    lastModifiedBy: r.last_modified_by,
    deviceId: r.device_id,
    source: r.source,
    committedAt: new Date(Number(r.committed_at_ms)),
  }));
}

const heldBackStatement = {
  name: 'change_log_held_back',
  text: `select exists (
      select 1 from change_log where tx_id >= pg_snapshot_xmin(pg_current_snapshot())
    ) as held_back`,
};

const heldBackPoolStatement = {
  name: 'change_log_held_back_pool',
  text: `select exists (
      select 1 from change_log
      where identity_pool_id = $1 and tx_id >= pg_snapshot_xmin(pg_current_snapshot())
    ) as held_back`,
};

/**
 * Whether rows exist that the commit-safe read cannot deliver yet: written by transactions at
 * or above the snapshot's xmin, because they (or an older transaction anywhere in the cluster)
 * have not finished. A consumer that sees this checks again soon rather than waiting for the
 * next NOTIFY, which those rows' commit may already have sent.
 */
export async function hasHeldBackRows(sql: SqlRunner, identityPoolId?: string): Promise<boolean> {
  const [row] =
    identityPoolId === undefined
      ? await sql.query<{ held_back: boolean }>(heldBackStatement, [])
      : await sql.query<{ held_back: boolean }>(heldBackPoolStatement, [identityPoolId]);
  return row?.held_back === true;
}

const backlogStatement = {
  name: 'change_log_backlog',
  text: `select count(*)::int8 as backlog from (
      select 1 from change_log c, change_log_consumer k
      where k.name = $1 and c.identity_pool_id = $2
        and (c.tx_id, c.id) > (k.checkpoint_tx_id, k.checkpoint_id)
        and (k.start_snapshot is null or not pg_visible_in_snapshot(c.tx_id, k.start_snapshot))
      limit $3
    ) pending`,
};

/**
 * How many of a pool's changes a consumer has not handled yet (committed or about to be),
 * counted up to `cap` so a huge backlog stays cheap to report.
 */
export async function countBacklog(
  sql: SqlRunner,
  args: { name: string; identityPoolId: string; cap?: number },
): Promise<number> {
  const [row] = await sql.query<{ backlog: unknown }>(backlogStatement, [
    args.name,
    args.identityPoolId,
    args.cap ?? 1_000_000,
  ]);
  return Number(row?.backlog ?? 0);
}

const acquireStatement = {
  name: 'change_log_acquire_lease',
  text: `insert into change_log_consumer (name, holder, lease_expires_at)
    values ($1, $2, now() + $3::int8 * interval '1 millisecond')
    on conflict (name) do update
      set holder = excluded.holder, lease_expires_at = excluded.lease_expires_at, updated_at = now()
      where change_log_consumer.holder is null
         or change_log_consumer.holder = excluded.holder
         or change_log_consumer.lease_expires_at < now()
    returning checkpoint_tx_id::text as tx_id, checkpoint_id::int8 as id,
      start_snapshot::text as start_snapshot`,
};

/**
 * Takes or renews the consumer's lease for `leaseMs` in one statement: it succeeds when nobody
 * holds it, `holder` already holds it, or the holder let it expire (died or stalled). Returns
 * the durable checkpoint when `holder` holds the lease afterwards, else null.
 */
export async function acquireLease(
  database: Pick<Database, 'sql'>,
  args: { name: string; holder: string; leaseMs: number },
): Promise<Checkpoint | null> {
  const [row] = await database.sql.query<{
    tx_id: string;
    id: unknown;
    start_snapshot: string | null;
  }>(acquireStatement, [args.name, args.holder, Math.round(args.leaseMs)]);
  return row ? { txId: row.tx_id, id: Number(row.id), startSnapshot: row.start_snapshot } : null;
}

const saveStatement = {
  name: 'change_log_save_checkpoint',
  text: `update change_log_consumer
    set checkpoint_tx_id = $3::xid8, checkpoint_id = $4::int8, updated_at = now()
    where name = $1 and holder = $2 and lease_expires_at > now()
      and (checkpoint_tx_id, checkpoint_id) < ($3::xid8, $4::int8)
    returning 1 as saved`,
};

/**
 * Moves the checkpoint forward — only for the current holder of an unexpired lease (fencing: a
 * replica that lost its lease while handling a batch cannot overwrite its successor's progress;
 * its batch is delivered again, which at-least-once allows). Returns false when fenced off (or
 * the checkpoint is already at or past `to`).
 */
export async function saveCheckpoint(
  database: Pick<Database, 'sql'>,
  args: { name: string; holder: string; to: Checkpoint },
): Promise<boolean> {
  const rows = await database.sql.query(saveStatement, [
    args.name,
    args.holder,
    args.to.txId,
    args.to.id,
  ]);
  return rows.length > 0;
}

const releaseStatement = {
  name: 'change_log_release_lease',
  text: `update change_log_consumer set holder = null, lease_expires_at = null, updated_at = now()
    where name = $1 and holder = $2`,
};

/** Gives the lease up (clean shutdown), so another replica takes over at once. */
export async function releaseLease(
  database: Pick<Database, 'sql'>,
  args: { name: string; holder: string },
): Promise<void> {
  await database.sql.query(releaseStatement, [args.name, args.holder]);
}

const readCheckpointStatement = {
  name: 'change_log_read_checkpoint',
  text: `select checkpoint_tx_id::text as tx_id, checkpoint_id::int8 as id, holder
    from change_log_consumer where name = $1`,
};

/** The stored checkpoint and lease holder of a consumer (null before it first ran). */
export async function readConsumerState(
  database: Pick<Database, 'sql'>,
  name: string,
): Promise<{ checkpoint: Checkpoint; holder: string | null } | null> {
  const [row] = await database.sql.query<{ tx_id: string; id: unknown; holder: string | null }>(
    readCheckpointStatement,
    [name],
  );
  return row ? { checkpoint: { txId: row.tx_id, id: Number(row.id) }, holder: row.holder } : null;
}
