import { z } from 'zod';
import { identityPoolIdSchema, syncCountSchema } from './ids.js';

/**
 * Live channel (SSE). A poke says "dataset X of your identity is now at syncCount N"; the
 * device then runs its normal synchronize(). Pokes carry no record data, so a missed or
 * duplicated poke is harmless. `lastEventId` resumes after a reconnect.
 */
export const changeKindSchema = z.enum(['update', 'delete', 'merge']);

export const onDatasetChangeRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  lastEventId: z.string().max(64).nullish(),
});

export const datasetChangedBodySchema = z.object({
  identityPoolId: z.string(),
  identityId: z.string(),
  datasetName: z.string(),
  syncCount: syncCountSchema,
  changeKind: changeKindSchema,
  /** DeviceId of the writer when it sent one, so a device can ignore its own pokes. */
  deviceId: z.string().nullable(),
});
export const datasetChangedMessageSchema = z.object({
  type: z.literal('datasetChanged'),
  body: datasetChangedBodySchema,
});
/** Sent before the server shuts down: reconnect (to another replica) after a pause. */
export const reconnectMessageSchema = z.object({
  type: z.literal('reconnect'),
  body: z.object({ retryAfterMs: z.number().int().min(0) }),
});
export const liveMessageSchema = z.discriminatedUnion('type', [
  datasetChangedMessageSchema,
  reconnectMessageSchema,
]);

export type ChangeKind = z.infer<typeof changeKindSchema>;
export type DatasetChangedBody = z.infer<typeof datasetChangedBodySchema>;
export type LiveMessage = z.infer<typeof liveMessageSchema>;
