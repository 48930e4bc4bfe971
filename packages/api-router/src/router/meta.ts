import { MIN_SUPPORTED_PROTOCOL_VERSION, PROTOCOL_VERSION } from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc.js';

export const metaRouter = {
  /** Lets clients check compatibility before syncing. */
  version: publicProcedure.query(() => ({
    protocolVersion: PROTOCOL_VERSION,
    minSupportedProtocolVersion: MIN_SUPPORTED_PROTOCOL_VERSION,
  })),
} satisfies TRPCRouterRecord;
