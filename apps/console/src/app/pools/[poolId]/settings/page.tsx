'use client';
import { useQuery } from '@tanstack/react-query';
import { Breadcrumbs } from '../../../../components/breadcrumbs';
import { PageHeader } from '../../../../components/page-header';
import { AwsAccess } from '../../../../components/settings/aws-access';
import { BulkPublish } from '../../../../components/settings/bulk-publish';
import { GeneralSettings } from '../../../../components/settings/general-settings';
import { PushSettings } from '../../../../components/settings/push-settings';
import { StreamsSettings } from '../../../../components/settings/streams-settings';
import { SyncTriggerSettings } from '../../../../components/settings/sync-trigger-settings';
import { ErrorNotice, Loading } from '../../../../components/states';
import { paths } from '../../../../lib/paths';
import { useTRPC } from '../../../../lib/trpc';
import { useRouteIds } from '../../../../lib/use-pool';

export default function EditPoolPage() {
  const { poolId } = useRouteIds();
  const trpc = useTRPC();
  const settings = useQuery({
    ...trpc.admin.identityPool.settings.queryOptions({ identityPoolId: poolId }),
    // The worker reports the stream's health and backlog every few seconds: follow it.
    refetchInterval: (query) => (query.state.data?.streams?.enabled ? 5_000 : false),
  });
  const data = settings.data;
  return (
    <>
      <Breadcrumbs
        items={[
          { label: 'Identity pools', href: paths.pools() },
          { label: data?.name ?? '…', href: paths.pool(poolId) },
          { label: 'Edit identity pool' },
        ]}
      />
      <PageHeader
        title="Edit identity pool"
        description={<span className="id-text">{poolId}</span>}
      />
      {settings.isPending ? (
        <div className="card">
          <Loading label="Loading settings…" />
        </div>
      ) : settings.isError ? (
        <ErrorNotice error={settings.error} onRetry={() => void settings.refetch()} />
      ) : data ? (
        <>
          {/* Each form restarts from the server's values whenever they change (after a save). */}
          <GeneralSettings
            key={`general-${data.name}-${data.allowUnauthenticated}`}
            settings={data}
          />
          <PushSettings key={`push-${JSON.stringify(data.push)}`} settings={data} />
          <StreamsSettings key={`streams-${JSON.stringify(data.streams)}`} settings={data} />
          <SyncTriggerSettings
            key={`trigger-${JSON.stringify(data.syncTrigger)}`}
            settings={data}
          />
          <BulkPublish settings={data} />
          <AwsAccess settings={data} />
        </>
      ) : null}
    </>
  );
}
