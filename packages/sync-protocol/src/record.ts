import { z } from 'zod';
import { recordKeySchema, recordValueSchema, syncCountSchema, timestampSchema } from './ids.js';

/** A stored record. `value: null` is a tombstone: the key was removed at `syncCount`. */
export const recordSchema = z.object({
  key: z.string(),
  value: z.string().nullable(),
  syncCount: syncCountSchema,
  lastModifiedDate: timestampSchema,
  lastModifiedBy: z.string().nullable(),
  deviceLastModifiedDate: timestampSchema.nullable(),
});

export const recordOpSchema = z.enum(['replace', 'remove']);

/**
 * One change a device sends. `syncCount` is the device's last known server sync count of the
 * key (0 when it never saw the key). `value` is ignored for `remove` (clients send one anyway).
 */
export const recordPatchSchema = z.strictObject({
  op: recordOpSchema,
  key: recordKeySchema,
  value: recordValueSchema.optional(),
  syncCount: syncCountSchema,
  deviceLastModifiedDate: timestampSchema.optional(),
});

export type SyncRecord = z.infer<typeof recordSchema>;
export type RecordOp = z.infer<typeof recordOpSchema>;
export type RecordPatch = z.infer<typeof recordPatchSchema>;
