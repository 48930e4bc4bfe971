'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Breadcrumbs } from '../../components/breadcrumbs';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { Field } from '../../components/field';
import { PageHeader } from '../../components/page-header';
import { EmptyState, ErrorNotice, Loading } from '../../components/states';
import { useToast } from '../../components/toast';
import { fieldErrorsOf } from '../../lib/errors';
import { formatBytes, formatCount, formatDate } from '../../lib/format';
import { paths } from '../../lib/paths';
import { useTRPC } from '../../lib/trpc';

export default function PoolsPage() {
  const trpc = useTRPC();
  const pools = useQuery(trpc.admin.identityPool.list.queryOptions({ maxResults: 60 }));
  const usage = useQuery(trpc.admin.identityPool.listUsage.queryOptions({ maxResults: 60 }));
  const [creating, setCreating] = useState(false);
  const usageById = new Map(
    (usage.data?.identityPoolUsages ?? []).map((entry) => [entry.identityPoolId, entry]),
  );

  return (
    <div className="content">
      <Breadcrumbs items={[{ label: 'Identity pools' }]} />
      <PageHeader
        title="Identity pools"
        description="One pool per app. A pool holds the identities of its users and guests; each identity owns its datasets."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create identity pool
          </Button>
        }
      />
      <section className="card" aria-label="Identity pools">
        {pools.isPending ? (
          <Loading label="Loading identity pools…" />
        ) : pools.isError ? (
          <div className="card-body">
            <ErrorNotice error={pools.error} onRetry={() => void pools.refetch()} />
          </div>
        ) : pools.data.identityPools.length === 0 ? (
          <EmptyState
            icon="◎"
            title="No identity pools yet"
            action={
              <Button variant="primary" onClick={() => setCreating(true)}>
                Create identity pool
              </Button>
            }
          >
            Create one for each app that syncs data through Tandem.
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="pools-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" className="hide-phone">
                    Identity pool ID
                  </th>
                  <th scope="col">Guests</th>
                  <th scope="col" className="num">
                    Identities
                  </th>
                  <th scope="col" className="num">
                    Storage
                  </th>
                  <th scope="col" className="hide-phone">
                    Created
                  </th>
                </tr>
              </thead>
              <tbody>
                {pools.data.identityPools.map((pool) => {
                  const poolUsage = usageById.get(pool.identityPoolId);
                  return (
                    <tr key={pool.identityPoolId} data-testid="pool-row">
                      <td>
                        <Link href={paths.pool(pool.identityPoolId)}>
                          <strong>{pool.name}</strong>
                        </Link>
                      </td>
                      <td className="hide-phone">
                        <span className="id-text">{pool.identityPoolId}</span>
                      </td>
                      <td>
                        {pool.allowUnauthenticated ? (
                          <span className="badge badge-success">Allowed</span>
                        ) : (
                          <span className="badge">Not allowed</span>
                        )}
                      </td>
                      <td className="num">
                        {poolUsage ? formatCount(poolUsage.identityCount) : '…'}
                      </td>
                      <td className="num nowrap">
                        {poolUsage ? formatBytes(poolUsage.dataStorage) : '…'}
                      </td>
                      <td className="hide-phone nowrap">{formatDate(pool.createdAt)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {pools.data.nextToken ? (
              <p className="pager">Showing the first 60 identity pools.</p>
            ) : null}
          </div>
        )}
      </section>
      <CreatePoolDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function CreatePoolDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const toast = useToast();
  const [name, setName] = useState('');
  const [allowGuests, setAllowGuests] = useState(true);
  const [nameError, setNameError] = useState<string | null>(null);
  const create = useMutation(trpc.admin.identityPool.create.mutationOptions());
  const close = () => {
    setName('');
    setAllowGuests(true);
    setNameError(null);
    create.reset();
    onClose();
  };
  const submit = async () => {
    if (!name.trim()) {
      setNameError('Enter a name for the pool.');
      return;
    }
    if (name.trim().length > 128) {
      setNameError('Use at most 128 characters.');
      return;
    }
    try {
      const pool = await create.mutateAsync({
        name: name.trim(),
        allowUnauthenticated: allowGuests,
      });
      await queryClient.invalidateQueries({ queryKey: trpc.admin.identityPool.pathKey() });
      toast.show({ tone: 'success', title: `Identity pool “${pool.name}” created` });
      close();
      router.push(paths.pool(pool.identityPoolId));
    } catch {
      // shown in the dialog
    }
  };
  const serverErrors = create.error ? fieldErrorsOf(create.error) : {};
  return (
    <Dialog
      open={open}
      title="Create identity pool"
      description="Apps name the pool by its ID when they sign users in and sync."
      onClose={close}
      onSubmit={() => void submit()}
      testId="create-pool-dialog"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="primary" busy={create.isPending}>
            Create pool
          </Button>
        </>
      }
    >
      <Field label="Name" error={nameError ?? serverErrors.name} hint="For you; apps never see it.">
        <input
          className="input"
          value={name}
          maxLength={128}
          onChange={(event) => {
            setName(event.target.value);
            setNameError(null);
          }}
          autoFocus
        />
      </Field>
      <label className="check">
        <input
          type="checkbox"
          checked={allowGuests}
          onChange={(event) => setAllowGuests(event.target.checked)}
        />
        <span className="check-text">
          <span>Allow guests (unauthenticated identities)</span>
          <small>
            Apps can start syncing before the user signs in; the data follows them when they do.
          </small>
        </span>
      </label>
      {create.error && Object.keys(serverErrors).length === 0 ? (
        <ErrorNotice error={create.error} />
      ) : null}
    </Dialog>
  );
}
