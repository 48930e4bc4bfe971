'use client';
/**
 * One dataset, as Cognito's console shows it: its records, changes staged in the console, and
 * Synchronize. Records are read with admin.record.list (every page; a dataset holds at most
 * 1,024 live records) and shown in client-side pages with a filter.
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Breadcrumbs } from '../../../../../../../components/breadcrumbs';
import { Button } from '../../../../../../../components/button';
import {
  ConflictDialog,
  type Resolution,
} from '../../../../../../../components/dataset/conflict-dialog';
import { PendingChanges } from '../../../../../../../components/dataset/pending-changes';
import {
  RecordDialog,
  type RecordDraft,
} from '../../../../../../../components/dataset/record-dialog';
import { RecordsTable } from '../../../../../../../components/dataset/records-table';
import { PageHeader } from '../../../../../../../components/page-header';
import { ErrorNotice, Loading } from '../../../../../../../components/states';
import { useToast } from '../../../../../../../components/toast';
import { explainError } from '../../../../../../../lib/errors';
import { formatBytes, formatCount, formatDate, plural } from '../../../../../../../lib/format';
import { paths } from '../../../../../../../lib/paths';
import {
  findConflicts,
  rebase,
  stage,
  toPatches,
  useStagedChanges,
  type Conflict,
  type ServerRecord,
} from '../../../../../../../lib/staged-changes';
import { useTRPCClient, type ApiClient } from '../../../../../../../lib/trpc';
import { usePool, useRouteIds } from '../../../../../../../lib/use-pool';
import { utf8ByteLength } from '@tandem/sync-protocol';

interface Scope {
  identityPoolId: string;
  identityId: string;
  datasetName: string;
}

interface DatasetSnapshot {
  /** Every record the server has, tombstones (value null) included, by key. */
  records: Map<string, ServerRecord>;
  datasetExists: boolean;
  datasetSyncCount: number;
  lastModifiedBy: string | null;
  readAt: number;
}

/** The whole dataset, page after page. */
async function pullAll(client: ApiClient, scope: Scope): Promise<DatasetSnapshot> {
  const records = new Map<string, ServerRecord>();
  let nextToken: string | null = null;
  let first: Awaited<ReturnType<ApiClient['admin']['record']['list']['query']>> | null = null;
  do {
    const page = await client.admin.record.list.query({
      ...scope,
      ...(nextToken ? { nextToken } : {}),
    });
    first ??= page;
    for (const record of page.records) records.set(record.key, record);
    nextToken = page.nextToken;
  } while (nextToken);
  return {
    records,
    datasetExists: first.datasetExists,
    datasetSyncCount: first.datasetSyncCount,
    lastModifiedBy: first.lastModifiedBy,
    readAt: Date.now(),
  };
}

export default function DatasetPage() {
  const { poolId, identityId, datasetName } = useRouteIds();
  const scope: Scope = { identityPoolId: poolId, identityId, datasetName };
  const client = useTRPCClient();
  const toast = useToast();
  const pool = usePool(poolId);
  const dataset = useQuery({
    queryKey: ['dataset-records', poolId, identityId, datasetName],
    queryFn: () => pullAll(client, scope),
    staleTime: 0,
  });
  const { changes, update } = useStagedChanges(poolId, identityId, datasetName);
  const [dialog, setDialog] = useState<{ editing: RecordDraft | null } | null>(null);
  const [syncing, setSyncing] = useState(false);
  const [syncError, setSyncError] = useState<unknown>(null);
  const [conflicts, setConflicts] = useState<Conflict[] | null>(null);

  const server = dataset.data?.records ?? new Map<string, ServerRecord>();
  const live = [...server.values()].filter((record) => record.value !== null);
  const storage = live.reduce(
    (sum, record) => sum + utf8ByteLength(record.key) + utf8ByteLength(record.value ?? ''),
    0,
  );
  const stagedByKey = new Map(changes.map((change) => [change.key, change]));

  const stageDraft = (draft: RecordDraft) => {
    const current = server.get(draft.key);
    update((list) =>
      stage(list, {
        key: draft.key,
        op: 'replace',
        value: draft.value,
        before: current?.value ?? null,
        baseSyncCount: current?.syncCount ?? 0,
        stagedAt: Date.now(),
      }),
    );
    setDialog(null);
    toast.show({
      tone: 'success',
      title: 'Change saved in the console',
      message: 'Synchronize to send it to the server.',
    });
  };

  const stageRemoval = (key: string) => {
    const current = server.get(key);
    update((list) =>
      stage(list, {
        key,
        op: 'remove',
        value: null,
        before: current?.value ?? null,
        baseSyncCount: current?.syncCount ?? 0,
        stagedAt: Date.now(),
      }),
    );
    toast.show({ title: `Removal of “${key}” staged`, message: 'Synchronize to send it.' });
  };

  const synchronize = async () => {
    const sending = changes;
    if (sending.length === 0) return;
    setSyncing(true);
    setSyncError(null);
    try {
      const pull = await client.admin.record.list.query({ ...scope, maxResults: 1 });
      const result = await client.admin.record.update.mutate({
        ...scope,
        syncSessionToken: pull.syncSessionToken,
        recordPatches: toPatches(sending),
      });
      const sent = new Set(sending);
      update((list) => list.filter((change) => !sent.has(change)));
      const syncCount = result.records[0]?.syncCount;
      toast.show({
        tone: 'success',
        title: `Synchronized ${plural(sending.length, 'change')}`,
        message: `The dataset is now at sync count ${syncCount ?? '—'}. Devices get the changes at their next sync.`,
      });
      await dataset.refetch();
    } catch (error) {
      if (explainError(error).kind === 'ResourceConflictException') {
        const fresh = await dataset.refetch();
        const found = fresh.data ? findConflicts(sending, fresh.data.records) : [];
        if (found.length > 0) setConflicts(found);
        else setSyncError(error);
      } else {
        setSyncError(error);
      }
    } finally {
      setSyncing(false);
    }
  };

  const resolve = (choices: Map<string, Resolution>) => {
    const byKey = new Map((conflicts ?? []).map((conflict) => [conflict.change.key, conflict]));
    update((list) =>
      list.flatMap((change) => {
        const conflict = byKey.get(change.key);
        if (!conflict) return [change];
        if (choices.get(change.key) === 'drop') return [];
        const rebased = rebase(change, conflict.server);
        return rebased ? [rebased] : [];
      }),
    );
    setConflicts(null);
    const kept = [...choices.values()].filter((choice) => choice === 'overwrite').length;
    toast.show({
      tone: 'success',
      title: 'Your choices are applied',
      message: kept
        ? 'Synchronize to send the changes you kept.'
        : 'The device’s values stay as they are.',
    });
  };

  const editRecord = (key: string) => {
    const stagedChange = stagedByKey.get(key);
    const value =
      stagedChange?.op === 'replace' ? (stagedChange.value ?? '') : (server.get(key)?.value ?? '');
    setDialog({ editing: { key, value } });
  };

  const isNew = dataset.data ? !dataset.data.datasetExists : false;
  return (
    <>
      <Breadcrumbs
        items={[
          { label: 'Identity pools', href: paths.pools() },
          { label: pool.data?.name ?? '…', href: paths.pool(poolId) },
          { label: 'Identity browser', href: paths.identities(poolId) },
          { label: identityId, href: paths.identity(poolId, identityId) },
          { label: datasetName },
        ]}
      />
      <PageHeader
        title={
          <>
            Dataset{' '}
            <span className="mono" style={{ fontSize: 'inherit' }}>
              {datasetName}
            </span>
          </>
        }
        description={
          <>
            Of identity{' '}
            <Link className="id-text" href={paths.identity(poolId, identityId)}>
              {identityId}
            </Link>
          </>
        }
        actions={
          <>
            <Button
              onClick={() => void dataset.refetch()}
              busy={dataset.isFetching && !syncing}
              disabled={syncing}
            >
              Refresh
            </Button>
            <Button onClick={() => setDialog({ editing: null })} disabled={!dataset.isSuccess}>
              Create record
            </Button>
            <Button
              variant="primary"
              onClick={() => void synchronize()}
              busy={syncing}
              disabled={changes.length === 0 || !dataset.isSuccess}
              title={changes.length === 0 ? 'No changes to send' : undefined}
            >
              Synchronize
            </Button>
          </>
        }
      />

      {dataset.isPending ? (
        <div className="card">
          <Loading label="Loading records…" />
        </div>
      ) : dataset.isError ? (
        <ErrorNotice error={dataset.error} onRetry={() => void dataset.refetch()} />
      ) : (
        <>
          <section className="stats" aria-label="Dataset totals" data-testid="dataset-stats">
            <div className="card stat">
              <div className="stat-label">Records</div>
              <div className="stat-value" data-testid="record-count">
                {formatCount(live.length)}
              </div>
              <div className="stat-note">of at most 1,024</div>
            </div>
            <div className="card stat">
              <div className="stat-label">Size</div>
              <div className="stat-value">{formatBytes(storage)}</div>
              <div className="stat-note">of at most 1 MB</div>
            </div>
            <div className="card stat">
              <div className="stat-label">Sync count</div>
              <div className="stat-value" data-testid="dataset-sync-count">
                {formatCount(dataset.data.datasetSyncCount)}
              </div>
              <div className="stat-note">
                {dataset.data.lastModifiedBy
                  ? `last by ${dataset.data.lastModifiedBy}`
                  : 'never written'}
              </div>
            </div>
          </section>
          <p className="stat-note" aria-live="polite" data-testid="refreshed-at">
            Read from the server at {formatDate(dataset.data.readAt)}.
          </p>

          {isNew ? (
            <div className="notice notice-info" data-testid="new-dataset-notice">
              <strong>This dataset is not on the server yet</strong>
              <p className="advice">
                Create records, then Synchronize: the dataset is created with its first records, and
                the identity’s devices receive it at their next sync.
              </p>
            </div>
          ) : null}

          {syncError && changes.length > 0 ? (
            <ErrorNotice
              error={syncError}
              title="Synchronize failed; nothing was saved on the server"
            />
          ) : null}

          {changes.length > 0 ? (
            <PendingChanges
              changes={changes}
              server={server}
              syncing={syncing}
              onDiscard={(key) => update((list) => list.filter((change) => change.key !== key))}
              onDiscardAll={() => update(() => [])}
              onSynchronize={() => void synchronize()}
            />
          ) : null}

          <RecordsTable
            records={live}
            staged={stagedByKey}
            onCreate={() => setDialog({ editing: null })}
            onEdit={editRecord}
            onRemove={stageRemoval}
            disabled={syncing}
          />
        </>
      )}

      <RecordDialog
        open={dialog !== null}
        editing={dialog?.editing ?? null}
        keyTaken={(key) => server.get(key)?.value != null || stagedByKey.get(key)?.op === 'replace'}
        onClose={() => setDialog(null)}
        onSave={stageDraft}
      />
      {conflicts ? (
        <ConflictDialog
          conflicts={conflicts}
          onCancel={() => setConflicts(null)}
          onResolve={resolve}
        />
      ) : null}
    </>
  );
}
