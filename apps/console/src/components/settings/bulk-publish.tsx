'use client';
/**
 * Bulk publish: send every dataset of the pool to the configured stream (for a stream set up
 * after data existed). Cognito's rules: streams must be configured and enabled, one run at a
 * time, and at most one successful run per 24 hours. The button is disabled when the server
 * would refuse, with the reason next to it.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button } from '../button';
import { ErrorNotice } from '../states';
import { useToast } from '../toast';
import { formatDate } from '../../lib/format';
import { useTRPC } from '../../lib/trpc';
import { useNow } from '../../lib/use-now';
import { SettingsSection } from './section';
import type { PoolSettings } from './use-save-settings';

const DAY_MS = 24 * 60 * 60 * 1000;

const STATUS = {
  NOT_STARTED: { label: 'Never run', tone: '' },
  IN_PROGRESS: { label: 'In progress', tone: 'badge-accent' },
  FAILED: { label: 'Failed', tone: 'badge-danger' },
  SUCCEEDED: { label: 'Succeeded', tone: 'badge-success' },
} as const;

export function BulkPublish({ settings }: { settings: PoolSettings }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const input = { identityPoolId: settings.identityPoolId };
  const details = useQuery({
    ...trpc.admin.identityPool.bulkPublishDetails.queryOptions(input),
    initialData: settings.bulkPublish,
    refetchInterval: (query) => (query.state.data?.status === 'IN_PROGRESS' ? 2_000 : false),
  });
  const start = useMutation(trpc.admin.identityPool.bulkPublish.mutationOptions());
  const run = details.data;
  const now = useNow();

  const blocked = !settings.streams
    ? 'Configure streams first: bulk publish sends to the pool’s stream.'
    : !settings.streams.enabled
      ? 'Enable streams first: bulk publish sends to the pool’s stream.'
      : run.status === 'IN_PROGRESS'
        ? 'A bulk publish is running.'
        : run.status === 'SUCCEEDED' && run.completedAt && now - run.completedAt < DAY_MS
          ? `The last run succeeded at ${formatDate(run.completedAt)}; the next one is possible after ${formatDate(run.completedAt + DAY_MS)}.`
          : null;

  const begin = async () => {
    try {
      const next = await start.mutateAsync(input);
      queryClient.setQueryData(trpc.admin.identityPool.bulkPublishDetails.queryKey(input), next);
      await queryClient.invalidateQueries({
        queryKey: trpc.admin.identityPool.settings.queryKey(input),
      });
      toast.show({ tone: 'success', title: 'Bulk publish started' });
    } catch {
      // shown below
    }
  };

  const progress = run.progress;
  return (
    <SettingsSection
      id="bulk"
      title="Bulk publish"
      badge={
        <span className={`badge ${STATUS[run.status].tone}`} data-testid="bulk-status">
          {STATUS[run.status].label}
        </span>
      }
      description="Send every dataset of this pool to the stream once, e.g. after configuring a new stream. One run at a time, and at most one successful run per 24 hours."
      footer={
        <Button
          variant="primary"
          onClick={() => void begin()}
          busy={start.isPending}
          disabled={Boolean(blocked)}
        >
          Start bulk publish
        </Button>
      }
    >
      <dl className="meta-list">
        <dt>Status</dt>
        <dd>{STATUS[run.status].label}</dd>
        <dt>Started</dt>
        <dd>{formatDate(run.startedAt)}</dd>
        <dt>Completed</dt>
        <dd>{formatDate(run.completedAt)}</dd>
        {progress ? (
          <>
            <dt>Progress</dt>
            <dd>
              <div
                className="progress"
                role="progressbar"
                aria-valuemin={0}
                aria-valuemax={progress.total}
                aria-valuenow={progress.done}
                aria-label="Datasets published"
              >
                <span
                  style={{
                    width: `${progress.total ? (100 * progress.done) / progress.total : 0}%`,
                  }}
                />
              </div>
              <span className="hint">
                {progress.done} of {progress.total} datasets
              </span>
            </dd>
          </>
        ) : null}
        {run.failureMessage ? (
          <>
            <dt>Failure</dt>
            <dd className="field-error">{run.failureMessage}</dd>
          </>
        ) : null}
      </dl>
      {blocked ? (
        <p className="hint" data-testid="bulk-blocked">
          {blocked}
        </p>
      ) : null}
      {start.error ? <ErrorNotice error={start.error} /> : null}
    </SettingsSection>
  );
}
