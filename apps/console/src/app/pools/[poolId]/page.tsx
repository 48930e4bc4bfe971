'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { BarChart } from '../../../components/bar-chart';
import { Breadcrumbs } from '../../../components/breadcrumbs';
import { Button } from '../../../components/button';
import { PageHeader } from '../../../components/page-header';
import { EmptyState, ErrorNotice, Loading } from '../../../components/states';
import { formatBytes, formatCount, formatDate, plural, timeAgo } from '../../../lib/format';
import { paths } from '../../../lib/paths';
import { useTRPC, type RouterOutputs } from '../../../lib/trpc';
import { usePool, useRouteIds } from '../../../lib/use-pool';

type Dashboard = RouterOutputs['admin']['identityPool']['dashboard'];

const WINDOWS = [
  { days: 1, label: '24 hours' },
  { days: 14, label: '14 days' },
  { days: 30, label: '30 days' },
];

const dayLabel = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });
const hourLabel = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });

export default function PoolDashboardPage() {
  const { poolId } = useRouteIds();
  const trpc = useTRPC();
  const pool = usePool(poolId);
  const [days, setDays] = useState(14);
  const dashboard = useQuery(
    trpc.admin.identityPool.dashboard.queryOptions({ identityPoolId: poolId, days }),
  );
  const name = pool.data?.name ?? '…';

  return (
    <>
      <Breadcrumbs
        items={[
          { label: 'Identity pools', href: paths.pools() },
          { label: name, href: paths.pool(poolId) },
          { label: 'Dashboard' },
        ]}
      />
      <PageHeader
        title={name}
        description={
          <>
            <span className="id-text">{poolId}</span>
            {pool.data ? (
              <>
                {' · '}
                {pool.data.allowUnauthenticated ? 'Guests allowed' : 'Signed-in users only'}
              </>
            ) : null}
          </>
        }
        actions={
          <>
            <Button onClick={() => void dashboard.refetch()} busy={dashboard.isFetching}>
              Refresh
            </Button>
            <Link className="btn" href={paths.settings(poolId)}>
              Edit identity pool
            </Link>
          </>
        }
      />
      {dashboard.isPending ? (
        <div className="card">
          <Loading label="Loading the dashboard…" />
        </div>
      ) : dashboard.isError ? (
        <ErrorNotice error={dashboard.error} onRetry={() => void dashboard.refetch()} />
      ) : (
        <DashboardView data={dashboard.data} poolId={poolId} days={days} onDays={setDays} />
      )}
    </>
  );
}

function DashboardView({
  data,
  poolId,
  days,
  onDays,
}: {
  data: Dashboard;
  poolId: string;
  days: number;
  onDays(days: number): void;
}) {
  const bars = data.syncsOverTime.map((bucket) => {
    const hourly = bucket.bucketMs < 86_400_000;
    const start = new Date(bucket.bucketStart);
    return {
      label: hourly ? hourLabel.format(start) : dayLabel.format(start),
      title: hourly
        ? `${dayLabel.format(start)} ${hourLabel.format(start)}`
        : dayLabel.format(start),
      value: bucket.syncs,
    };
  });
  const totalSyncs = bars.reduce((sum, bar) => sum + bar.value, 0);
  return (
    <>
      <section className="stats" aria-label="Pool totals" data-testid="pool-stats">
        <Stat
          label="Identities"
          value={formatCount(data.identityCount)}
          note={`${formatCount(data.authenticatedIdentityCount)} signed in · ${formatCount(data.identityCount - data.authenticatedIdentityCount)} guests`}
          testId="stat-identities"
        />
        <Stat label="Datasets" value={formatCount(data.datasetCount)} testId="stat-datasets" />
        <Stat label="Records" value={formatCount(data.recordCount)} testId="stat-records" />
        <Stat
          label="Storage used"
          value={formatBytes(data.dataStorage)}
          note="Keys and values of live records"
          testId="stat-storage"
        />
      </section>

      <section className="card" aria-labelledby="syncs-title">
        <div className="card-header">
          <div>
            <h2 id="syncs-title">Syncs over time</h2>
            <p>
              {plural(totalSyncs, 'write')} (device syncs, console changes, deletions and merges)
            </p>
          </div>
          <div className="actions" role="group" aria-label="Time window">
            {WINDOWS.map((window) => (
              <Button
                key={window.days}
                size="sm"
                variant={window.days === days ? 'primary' : 'secondary'}
                aria-pressed={window.days === days}
                onClick={() => onDays(window.days)}
              >
                {window.label}
              </Button>
            ))}
          </div>
        </div>
        <div className="card-body">
          <BarChart bars={bars} caption={`Syncs per ${days === 1 ? 'hour' : 'day'}`} />
        </div>
      </section>

      <section className="card" aria-labelledby="changes-title">
        <div className="card-header">
          <div>
            <h2 id="changes-title">Recent changes</h2>
            <p>The latest writes to this pool’s datasets.</p>
          </div>
        </div>
        {data.recentChanges.length === 0 ? (
          <EmptyState icon="↻" title="No changes yet">
            Changes appear here when devices sync or you change data in the console.
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="recent-changes">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Dataset</th>
                  <th scope="col" className="hide-phone">
                    Identity
                  </th>
                  <th scope="col">Change</th>
                  <th scope="col" className="num hide-phone">
                    Records
                  </th>
                  <th scope="col" className="num hide-phone">
                    Sync count
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.recentChanges.map((change) => (
                  <tr key={change.changeId}>
                    <td className="nowrap" title={formatDate(change.committedAt)}>
                      {timeAgo(change.committedAt)}
                    </td>
                    <td>
                      {change.kind === 'delete' ? (
                        <span className="mono">{change.datasetName}</span>
                      ) : (
                        <Link
                          className="mono"
                          href={paths.dataset(poolId, change.identityId, change.datasetName)}
                        >
                          {change.datasetName}
                        </Link>
                      )}
                    </td>
                    <td className="hide-phone">
                      <Link className="id-text" href={paths.identity(poolId, change.identityId)}>
                        {change.identityId}
                      </Link>
                    </td>
                    <td className="nowrap">
                      <ChangeBadge kind={change.kind} source={change.source} />
                    </td>
                    <td className="num hide-phone">{formatCount(change.recordCount)}</td>
                    <td className="num hide-phone">{formatCount(change.syncCount)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

function Stat({
  label,
  value,
  note,
  testId,
}: {
  label: string;
  value: string;
  note?: string;
  testId?: string;
}) {
  return (
    <div className="card stat" data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {note ? <div className="stat-note">{note}</div> : null}
    </div>
  );
}

const KIND_LABEL = { update: 'Update', delete: 'Dataset deleted', merge: 'Guest merge' } as const;
const SOURCE_LABEL = { identity: 'device', admin: 'console', system: 'system' } as const;

function ChangeBadge({
  kind,
  source,
}: {
  kind: keyof typeof KIND_LABEL;
  source: keyof typeof SOURCE_LABEL;
}) {
  const tone = kind === 'delete' ? 'badge-danger' : source === 'admin' ? 'badge-accent' : '';
  return (
    <span className={`badge ${tone}`}>
      {KIND_LABEL[kind]} · {SOURCE_LABEL[source]}
    </span>
  );
}
