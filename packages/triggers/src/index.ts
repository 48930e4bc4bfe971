export {
  createSyncTriggerRunner,
  MAX_TRIGGER_OUTPUT_BYTES,
  SYNC_TRIGGER_BUDGET_MS,
  type SyncTriggerRun,
  type SyncTriggerRunner,
  type SyncTriggerRunnerOptions,
} from './sync-trigger-runner.js';
export {
  checkTriggerOutput,
  syncTriggerEventSchema,
  syncTriggerRecordSchema,
  type SyncTriggerEvent,
  type SyncTriggerRecord,
} from './sync-trigger-event.js';
export {
  POOL_HEADER,
  SIGNATURE_HEADER,
  signWebhookBody,
  verifyWebhookSignature,
} from './signature.js';
export type { Resolver } from './webhook.js';
