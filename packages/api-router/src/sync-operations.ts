/**
 * The dataset/record operations, shared by the identity-scoped routers and the admin routers so
 * both surfaces behave identically; only who may call and how writes are attributed differ.
 */
import {
  deleteDataset,
  describeDataset,
  lastDeviceWrite,
  listDatasets,
  listRecords,
  updateRecords,
  type IdentityRow,
  type Writer,
} from '@tandem/db';
import {
  DEFAULT_MAX_RESULTS,
  type ListRecordsResponse,
  type RecordPatch,
} from '@tandem/sync-protocol';
import type { ApiDeps } from './context.js';
import { applySyncTrigger } from './sync-trigger.js';

export const syncOperations = {
  listDatasets: (
    deps: ApiDeps,
    identity: IdentityRow,
    input: { nextToken?: string | undefined; maxResults?: number | undefined },
  ) =>
    listDatasets(deps.database.db, {
      identityId: identity.id,
      nextToken: input.nextToken,
      maxResults: input.maxResults ?? DEFAULT_MAX_RESULTS,
    }).then((page) => ({ ...page, count: page.datasets.length })),

  describeDataset: async (deps: ApiDeps, identity: IdentityRow, datasetName: string) => ({
    dataset: await describeDataset(deps.database.db, { identityId: identity.id, datasetName }),
  }),

  deleteDataset: async (
    deps: ApiDeps,
    identity: IdentityRow,
    datasetName: string,
    writer: Writer,
  ) => {
    const { dataset, change } = await deleteDataset(deps.database.db, {
      identityPoolId: identity.identityPoolId,
      identityId: identity.id,
      datasetName,
      writer,
    });
    deps.changeFeed.publish([change]);
    return { dataset };
  },

  /** Whether a device's push whose answer was lost committed (see lastDeviceWriteRequestSchema). */
  lastDeviceWrite: async (
    deps: ApiDeps,
    identity: IdentityRow,
    input: { datasetName: string; deviceId: string; afterSyncCount: number },
  ) => ({
    syncCount: await lastDeviceWrite(deps.database.db, { identityId: identity.id, ...input }),
  }),

  listRecords: async (
    deps: ApiDeps,
    identity: IdentityRow,
    input: {
      datasetName: string;
      lastSyncCount?: number | undefined;
      nextToken?: string | undefined;
      maxResults?: number | undefined;
    },
  ): Promise<ListRecordsResponse> => {
    const result = await listRecords(deps.database.sql, {
      identityId: identity.id,
      datasetName: input.datasetName,
      lastSyncCount: input.lastSyncCount,
      nextToken: input.nextToken,
      maxResults: input.maxResults ?? DEFAULT_MAX_RESULTS,
    });
    return {
      ...result,
      count: result.records.length,
      syncSessionToken: deps.syncSessionTokens.issue({
        identityPoolId: identity.identityPoolId,
        identityId: identity.id,
        datasetName: input.datasetName,
      }),
    };
  },

  updateRecords: async (
    deps: ApiDeps,
    identity: IdentityRow,
    input: { datasetName: string; recordPatches: RecordPatch[]; syncSessionToken: string },
    writer: Writer,
  ) => {
    deps.syncSessionTokens.verify(input.syncSessionToken, {
      identityPoolId: identity.identityPoolId,
      identityId: identity.id,
      datasetName: input.datasetName,
    });
    // Identity writes run the pool's sync trigger first (it may rewrite the patches); admin
    // and system writes never do, as in Cognito.
    const patches =
      writer.source === 'identity'
        ? await applySyncTrigger(deps, identity, input)
        : input.recordPatches;
    const { records, change } = await updateRecords(deps.database, {
      identityPoolId: identity.identityPoolId,
      identityId: identity.id,
      datasetName: input.datasetName,
      patches,
      writer,
    });
    deps.changeFeed.publish([change]);
    return { records };
  },
};
