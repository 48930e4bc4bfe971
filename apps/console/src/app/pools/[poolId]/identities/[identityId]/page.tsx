'use client';
/**
 * Identity details: the identity's datasets (as on the server, plus drafts that only exist as
 * staged changes in this browser), Create dataset and Delete selected.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { MAX_DATASETS_PER_IDENTITY } from '@tandem/sync-protocol';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Breadcrumbs } from '../../../../../components/breadcrumbs';
import { Button } from '../../../../../components/button';
import { Dialog } from '../../../../../components/dialog';
import { Field } from '../../../../../components/field';
import { PageHeader } from '../../../../../components/page-header';
import { EmptyState, ErrorNotice, Loading } from '../../../../../components/states';
import { useToast } from '../../../../../components/toast';
import { explainError } from '../../../../../lib/errors';
import { formatBytes, formatCount, formatDate, plural } from '../../../../../lib/format';
import { paths } from '../../../../../lib/paths';
import { clearStaged, useStagedDatasets } from '../../../../../lib/staged-changes';
import { useTRPC } from '../../../../../lib/trpc';
import { datasetNameError } from '../../../../../lib/validation';
import { usePool, useRouteIds } from '../../../../../lib/use-pool';

export default function IdentityDetailsPage() {
  const { poolId, identityId } = useRouteIds();
  const trpc = useTRPC();
  const pool = usePool(poolId);
  const scope = { identityPoolId: poolId, identityId };
  const identity = useQuery(trpc.admin.identity.byId.queryOptions(scope));
  const usage = useQuery(trpc.admin.identity.usage.queryOptions(scope));
  const datasets = useQuery(trpc.admin.dataset.list.queryOptions(scope));
  const drafts = useStagedDatasets(poolId, identityId);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [creating, setCreating] = useState(false);
  const [confirmingDelete, setConfirmingDelete] = useState(false);

  const serverNames = new Set(
    (datasets.data?.datasets ?? []).map((dataset) => dataset.datasetName),
  );
  const draftOnly = [...drafts.entries()].filter(([name]) => !serverNames.has(name));
  const datasetCount = datasets.data?.datasets.length ?? 0;
  const atLimit = datasetCount >= MAX_DATASETS_PER_IDENTITY;
  const allNames = [...serverNames];
  const allSelected = allNames.length > 0 && allNames.every((name) => selected.has(name));
  const toggle = (name: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });

  const refresh = () => {
    void datasets.refetch();
    void usage.refetch();
    void identity.refetch();
  };

  return (
    <>
      <Breadcrumbs
        items={[
          { label: 'Identity pools', href: paths.pools() },
          { label: pool.data?.name ?? '…', href: paths.pool(poolId) },
          { label: 'Identity browser', href: paths.identities(poolId) },
          { label: identityId },
        ]}
      />
      <PageHeader
        title="Identity details"
        description={
          <span className="id-text" data-testid="identity-id">
            {identityId}
          </span>
        }
        actions={
          <>
            <Button onClick={refresh} busy={datasets.isFetching && !datasets.isPending}>
              Refresh
            </Button>
            <Button
              variant="primary"
              onClick={() => setCreating(true)}
              disabled={atLimit || !datasets.isSuccess || identity.isError}
              title={
                atLimit
                  ? `An identity holds at most ${MAX_DATASETS_PER_IDENTITY} datasets.`
                  : undefined
              }
            >
              Create dataset
            </Button>
          </>
        }
      />

      {identity.isError ? (
        <>
          <ErrorNotice error={identity.error} onRetry={refresh} />
          <p>
            <Link href={paths.identities(poolId)}>Back to the identity browser</Link>
          </p>
        </>
      ) : (
        <>
          <section className="card" aria-label="Identity">
            <div className="card-body">
              <dl className="meta-list">
                <dt>Kind</dt>
                <dd>
                  {identity.data ? (
                    identity.data.authenticated ? (
                      <span className="badge badge-accent">Signed-in user</span>
                    ) : (
                      <span className="badge">Guest</span>
                    )
                  ) : (
                    '…'
                  )}
                </dd>
                <dt>Created</dt>
                <dd>{formatDate(identity.data?.createdAt)}</dd>
                <dt>Last modified</dt>
                <dd>{formatDate(usage.data?.identityUsage.lastModifiedDate)}</dd>
                <dt>Datasets</dt>
                <dd>
                  {usage.data
                    ? `${formatCount(usage.data.identityUsage.datasetCount)} of ${MAX_DATASETS_PER_IDENTITY}`
                    : '…'}
                </dd>
                <dt>Storage</dt>
                <dd>{usage.data ? formatBytes(usage.data.identityUsage.dataStorage) : '…'}</dd>
              </dl>
            </div>
          </section>

          <section className="card" aria-labelledby="datasets-title">
            <div className="card-header">
              <div>
                <h2 id="datasets-title">Datasets</h2>
                <p>Select datasets to delete them, or open one to see and change its records.</p>
              </div>
              <Button
                variant="danger-outline"
                disabled={selected.size === 0}
                onClick={() => setConfirmingDelete(true)}
              >
                Delete selected{selected.size ? ` (${selected.size})` : ''}
              </Button>
            </div>
            {atLimit ? (
              <div className="card-body" style={{ paddingBottom: 0 }}>
                <div className="notice notice-warning">
                  <strong>
                    This identity has the maximum of {MAX_DATASETS_PER_IDENTITY} datasets
                  </strong>
                  <p className="advice">Delete one before creating another.</p>
                </div>
              </div>
            ) : null}
            {datasets.isPending ? (
              <Loading label="Loading datasets…" />
            ) : datasets.isError ? (
              <div className="card-body">
                <ErrorNotice error={datasets.error} onRetry={refresh} />
              </div>
            ) : datasets.data.datasets.length === 0 && draftOnly.length === 0 ? (
              <EmptyState
                icon="▤"
                title="No datasets"
                action={
                  <Button variant="primary" onClick={() => setCreating(true)}>
                    Create dataset
                  </Button>
                }
              >
                This identity has not synced any data yet.
              </EmptyState>
            ) : (
              <div className="table-wrap">
                <table className="table" data-testid="datasets-table">
                  <thead>
                    <tr>
                      <th scope="col" className="check-cell">
                        <input
                          type="checkbox"
                          aria-label="Select all datasets"
                          checked={allSelected}
                          disabled={allNames.length === 0}
                          onChange={() => setSelected(allSelected ? new Set() : new Set(allNames))}
                        />
                      </th>
                      <th scope="col">Dataset</th>
                      <th scope="col" className="num">
                        Records
                      </th>
                      <th scope="col" className="num hide-phone">
                        Size
                      </th>
                      <th scope="col" className="num hide-phone">
                        Sync count
                      </th>
                      <th scope="col" className="hide-phone">
                        Last modified
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {datasets.data.datasets.map((dataset) => {
                      const staged = drafts.get(dataset.datasetName) ?? 0;
                      return (
                        <tr
                          key={dataset.datasetName}
                          className={selected.has(dataset.datasetName) ? 'selected' : undefined}
                          data-testid="dataset-row"
                          data-dataset={dataset.datasetName}
                        >
                          <td className="check-cell">
                            <input
                              type="checkbox"
                              aria-label={`Select ${dataset.datasetName}`}
                              checked={selected.has(dataset.datasetName)}
                              onChange={() => toggle(dataset.datasetName)}
                            />
                          </td>
                          <td>
                            <Link
                              className="mono"
                              href={paths.dataset(poolId, identityId, dataset.datasetName)}
                            >
                              {dataset.datasetName}
                            </Link>{' '}
                            {staged ? (
                              <span className="badge badge-warning">
                                {plural(staged, 'staged change')}
                              </span>
                            ) : null}
                          </td>
                          <td className="num">{formatCount(dataset.numRecords)}</td>
                          <td className="num hide-phone nowrap">
                            {formatBytes(dataset.dataStorage)}
                          </td>
                          <td className="num hide-phone">{formatCount(dataset.syncCount)}</td>
                          <td className="hide-phone nowrap">
                            {formatDate(dataset.lastModifiedDate)}
                            {dataset.lastModifiedBy ? (
                              <div className="stat-note">by {dataset.lastModifiedBy}</div>
                            ) : null}
                          </td>
                        </tr>
                      );
                    })}
                    {draftOnly.map(([name, staged]) => (
                      <tr key={`draft-${name}`} data-testid="dataset-row" data-dataset={name}>
                        <td className="check-cell" />
                        <td>
                          <Link className="mono" href={paths.dataset(poolId, identityId, name)}>
                            {name}
                          </Link>{' '}
                          <span className="badge badge-warning">
                            New · {plural(staged, 'staged change')}
                          </span>
                        </td>
                        <td className="num">—</td>
                        <td className="num hide-phone">—</td>
                        <td className="num hide-phone">—</td>
                        <td className="hide-phone">Not synchronized yet</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}

      <CreateDatasetDialog
        open={creating}
        onClose={() => setCreating(false)}
        existing={new Set([...serverNames, ...drafts.keys()])}
        poolId={poolId}
        identityId={identityId}
      />
      <DeleteDatasetsDialog
        open={confirmingDelete}
        names={[...selected].filter((name) => serverNames.has(name)).sort()}
        poolId={poolId}
        identityId={identityId}
        onClose={() => setConfirmingDelete(false)}
        onDeleted={(deleted) => {
          setSelected((current) => new Set([...current].filter((name) => !deleted.includes(name))));
        }}
      />
    </>
  );
}

function CreateDatasetDialog({
  open,
  onClose,
  existing,
  poolId,
  identityId,
}: {
  open: boolean;
  onClose(): void;
  existing: Set<string>;
  poolId: string;
  identityId: string;
}) {
  const router = useRouter();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setName('');
    setError(null);
    onClose();
  };
  const submit = () => {
    const problem =
      datasetNameError(name) ??
      (existing.has(name) ? 'This identity already has a dataset with this name.' : null);
    if (problem) {
      setError(problem);
      return;
    }
    close();
    router.push(paths.dataset(poolId, identityId, name));
  };
  return (
    <Dialog
      open={open}
      title="Create dataset"
      description="The dataset is created on the server when you first Synchronize it with at least one record."
      onClose={close}
      onSubmit={submit}
      testId="create-dataset-dialog"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="primary">
            Create and edit dataset
          </Button>
        </>
      }
    >
      <Field
        label="Dataset name"
        hint="Up to 128 letters, digits and _ . : - characters."
        error={error}
      >
        <input
          className="input mono"
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            setError(null);
          }}
          spellCheck={false}
          autoComplete="off"
          autoFocus
        />
      </Field>
    </Dialog>
  );
}

function DeleteDatasetsDialog({
  open,
  names,
  poolId,
  identityId,
  onClose,
  onDeleted,
}: {
  open: boolean;
  names: string[];
  poolId: string;
  identityId: string;
  onClose(): void;
  onDeleted(names: string[]): void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const remove = useMutation(trpc.admin.dataset.delete.mutationOptions());
  const [failure, setFailure] = useState<unknown>(null);
  const close = () => {
    setFailure(null);
    onClose();
  };
  const confirm = async () => {
    setFailure(null);
    const deleted: string[] = [];
    try {
      for (const datasetName of names) {
        try {
          await remove.mutateAsync({ identityPoolId: poolId, identityId, datasetName });
        } catch (error) {
          // Already gone (another admin, or the device): that is what we wanted.
          if (explainError(error).kind !== 'ResourceNotFoundException') throw error;
        }
        deleted.push(datasetName);
        clearStaged(poolId, identityId, datasetName);
      }
      toast.show({
        tone: 'success',
        title: `Deleted ${plural(deleted.length, 'dataset')}`,
        message: 'Devices remove them at their next sync.',
      });
      onDeleted(deleted);
      close();
    } catch (error) {
      setFailure(error);
      onDeleted(deleted);
    } finally {
      await queryClient.invalidateQueries({ queryKey: trpc.admin.pathKey() });
    }
  };
  return (
    <Dialog
      open={open}
      title={`Delete ${plural(names.length, 'dataset')}?`}
      description="Their records are deleted on the server, and every device of this identity deletes its copy at its next sync. This cannot be undone."
      onClose={close}
      onSubmit={() => void confirm()}
      testId="delete-datasets-dialog"
      footer={
        <>
          <Button onClick={close} autoFocus>
            Cancel
          </Button>
          <Button type="submit" variant="danger" busy={remove.isPending}>
            Delete
          </Button>
        </>
      }
    >
      <ul style={{ margin: 0, paddingLeft: 18 }}>
        {names.map((name) => (
          <li key={name} className="mono">
            {name}
          </li>
        ))}
      </ul>
      {failure ? <ErrorNotice error={failure} /> : null}
    </Dialog>
  );
}
