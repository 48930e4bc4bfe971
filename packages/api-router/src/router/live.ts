/**
 * Live channel over SSE. The listener is attached before the back-fill from the change log, so
 * a change committed during the back-fill is seen at least once (duplicates are harmless: a
 * poke only asks the device to synchronize). Event ids are change-log ids; a reconnecting
 * client sends the last one as `lastEventId` and gets what it missed (bounded).
 */
import type { CommittedChange } from '@tandem/db';
import { changesOfIdentitySince } from '@tandem/db';
import { onDatasetChangeRequestSchema, type LiveMessage } from '@tandem/sync-protocol';
import { tracked, type TRPCRouterRecord } from '@trpc/server';
import { callerIdentity } from '../identity-scope.js';
import { sessionProcedure } from '../trpc.js';

const BACKFILL_LIMIT = 500;
const RECONNECT_AFTER_MS = 1_000;

const toMessage = (change: CommittedChange): LiveMessage => ({
  type: 'datasetChanged',
  body: {
    identityPoolId: change.identityPoolId,
    identityId: change.identityId,
    datasetName: change.datasetName,
    syncCount: change.syncCount,
    changeKind: change.kind,
    deviceId: change.deviceId,
  },
});

export const liveRouter = {
  onDatasetChange: sessionProcedure
    .input(onDatasetChangeRequestSchema)
    .subscription(async function* ({ ctx, input, signal }) {
      const identity = await callerIdentity(ctx.deps, ctx.sessionUser, input);
      const queue: Array<CommittedChange | 'reconnect'> = [];
      let wake: (() => void) | null = null;
      const push = (item: CommittedChange | 'reconnect') => {
        queue.push(item);
        wake?.();
      };
      const unsubscribe = ctx.deps.changeFeed.subscribe(identity.id, push);
      const offClose = ctx.deps.changeFeed.onClose(() => push('reconnect'));
      const onAbort = () => wake?.();
      signal?.addEventListener('abort', onAbort);
      try {
        let lastId = Number(input.lastEventId ?? 0) || 0;
        // Ids of changes already sent by the back-fill. Not "id <= lastId": ids are taken before
        // commit, so a change with a lower id can commit (and arrive live) after a higher one.
        const backfilled = new Set<number>();
        if (lastId > 0) {
          const missed = await changesOfIdentitySince(ctx.deps.database.db, {
            identityId: identity.id,
            afterChangeId: lastId,
            limit: BACKFILL_LIMIT,
          });
          for (const change of missed) {
            lastId = Math.max(lastId, change.changeId);
            backfilled.add(change.changeId);
            yield tracked(String(change.changeId), toMessage(change));
          }
        }
        while (!signal?.aborted) {
          const item = queue.shift();
          if (item === undefined) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
            continue;
          }
          if (item === 'reconnect') {
            yield tracked(String(lastId), {
              type: 'reconnect',
              body: { retryAfterMs: RECONNECT_AFTER_MS },
            } satisfies LiveMessage);
            return;
          }
          if (backfilled.delete(item.changeId)) continue;
          lastId = Math.max(lastId, item.changeId);
          yield tracked(String(item.changeId), toMessage(item));
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        unsubscribe();
        offClose();
      }
    }),
} satisfies TRPCRouterRecord;
