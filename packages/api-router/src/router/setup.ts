/**
 * First-run setup: the console creates the first administrator with the setup token the API
 * prints at start while no administrator exists (derived from the server secret: every replica
 * agrees, and only whoever reads the server's output has it). Public procedures: there is no
 * administrator to sign in as yet. Once one exists, setup is closed for good.
 */
import { createFirstAdminUser, hasAdminUser, setupTokenMatches } from '@tandem/auth';
import { notAuthorized } from '@tandem/domain';
import {
  createFirstAdminRequestSchema,
  createFirstAdminResponseSchema,
  setupStatusSchema,
} from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc.js';

export const setupRouter = {
  status: publicProcedure.output(setupStatusSchema).query(async ({ ctx }) => {
    const { adminExists } = ctx.deps.caches;
    if (adminExists.get('') || (await hasAdminUser(ctx.deps.database))) {
      adminExists.set('', true);
      return { needsFirstAdmin: false };
    }
    return { needsFirstAdmin: true };
  }),

  createFirstAdmin: publicProcedure
    .input(createFirstAdminRequestSchema)
    .output(createFirstAdminResponseSchema)
    .mutation(async ({ ctx, input }) => {
      if (!setupTokenMatches(ctx.deps.secrets.setupToken, input.setupToken)) {
        throw notAuthorized('The setup token is not valid.');
      }
      return createFirstAdminUser(ctx.deps.auth, ctx.deps.database, {
        email: input.email,
        password: input.password,
        name: input.name,
      });
    }),
} satisfies TRPCRouterRecord;
