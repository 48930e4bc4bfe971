/**
 * The sync trigger's event and answer (spec §11, Cognito Events): the same JSON a Cognito Sync
 * Lambda receives, so existing functions port unchanged. The answer must have the event's shape
 * and may change `datasetRecords` only; anything else makes the sync fail with
 * InvalidLambdaFunctionOutputException.
 */
import { SyncError } from '@tandem/domain';
import { recordKeySchema, recordValueSchema } from '@tandem/sync-protocol';
import { z } from 'zod';

export const syncTriggerRecordSchema = z.object({
  /** The stored value before this sync (null: absent). Informational: never written. */
  oldValue: z.string().nullable().optional(),
  /** The value after this sync; null removes the key, as `op: 'remove'` does. */
  newValue: recordValueSchema.nullable(),
  op: z.enum(['replace', 'remove']),
});

export const syncTriggerEventSchema = z.object({
  version: z.literal(2),
  eventType: z.literal('SyncTrigger'),
  region: z.string(),
  identityPoolId: z.string(),
  identityId: z.string(),
  datasetName: z.string(),
  datasetRecords: z.record(recordKeySchema, syncTriggerRecordSchema),
});

export type SyncTriggerRecord = z.infer<typeof syncTriggerRecordSchema>;
export type SyncTriggerEvent = z.infer<typeof syncTriggerEventSchema>;

const strictEventSchema = syncTriggerEventSchema.strict();

const FIXED_FIELDS = [
  'version',
  'eventType',
  'region',
  'identityPoolId',
  'identityId',
  'datasetName',
] as const;

export const invalidTriggerOutput = (message: string) =>
  new SyncError('InvalidLambdaFunctionOutputException', message);

/**
 * Checks a trigger's answer (already parsed JSON) against the event it was given and returns it
 * typed. Throws InvalidLambdaFunctionOutputException naming the first problem.
 */
export function checkTriggerOutput(event: SyncTriggerEvent, output: unknown): SyncTriggerEvent {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) {
    throw invalidTriggerOutput('The sync trigger must return the event object.');
  }
  for (const field of FIXED_FIELDS) {
    if ((output as Record<string, unknown>)[field] !== event[field]) {
      throw invalidTriggerOutput(
        `The sync trigger changed '${field}': only datasetRecords may be changed.`,
      );
    }
  }
  const parsed = strictEventSchema.safeParse(output);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at '${issue.path.join('.')}'` : '';
    throw invalidTriggerOutput(
      `The sync trigger returned an invalid answer${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
