import { MIN_SUPPORTED_PROTOCOL_VERSION, PROTOCOL_VERSION } from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc.js';

export const metaRouter = {
  /** Lets clients check compatibility before syncing. */
  version: publicProcedure.query(() => ({
    protocolVersion: PROTOCOL_VERSION,
    minSupportedProtocolVersion: MIN_SUPPORTED_PROTOCOL_VERSION,
  })),
  /**
   * The pool this server announces to apps that are not configured with one (the demo app, a
   * fresh `npm start`). Null when the operator set none. Pool ids are not secrets: apps ship them.
   */
  defaultIdentityPool: publicProcedure.query(({ ctx }) => ({
    identityPoolId: ctx.deps.defaultIdentityPoolId,
  })),
  /** Where apps reach this API (for AWS SDK clients' `endpoint`); not a secret. */
  publicUrl: publicProcedure.query(({ ctx }) => ({ url: ctx.deps.publicUrl })),
} satisfies TRPCRouterRecord;
