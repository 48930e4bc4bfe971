/**
 * The sync trigger runtime: runs a pool's trigger (webhook or sandboxed function) on an event
 * and returns its checked answer. The caller (api-router) turns the answer into the records it
 * writes; on any failure this throws the spec §11 typed error and the caller writes nothing.
 *
 * Errors: LambdaSocketTimeoutException (504) past the budget; LambdaThrottledException (429)
 * when the target is overloaded (function queue full, webhook answered 429);
 * InvalidLambdaFunctionOutputException (400) for a throw, a crash, a non-2xx or malformed
 * answer, or an answer that changed anything but datasetRecords; InvalidConfigurationException
 * (400) for a webhook that the SSRF rules refuse at send time.
 */
import type { SyncTriggerSettings } from '@tandem/sync-protocol';
import { FunctionPool, UNCHANGED } from './function-pool.js';
import {
  checkTriggerOutput,
  invalidTriggerOutput,
  type SyncTriggerEvent,
} from './sync-trigger-event.js';
import { sendWebhook, type Resolver } from './webhook.js';

export const SYNC_TRIGGER_BUDGET_MS = 5_000;
/** Largest answer accepted from either target, bytes. */
export const MAX_TRIGGER_OUTPUT_BYTES = 2 * 1024 * 1024;

export interface SyncTriggerRunnerOptions {
  /** Per-invocation budget (default 5 s, as Cognito; tests use less). */
  budgetMs?: number | undefined;
  /** Function targets: child processes at most (default 4). */
  maxProcesses?: number | undefined;
  /** Function targets: invocations queued before refusing with LambdaThrottledException. */
  maxQueue?: number | undefined;
  /** Function targets: heap limit per child process, MB (default 64). */
  memoryMb?: number | undefined;
  /** Webhook targets: DNS resolution (tests inject one). */
  resolve?: Resolver | undefined;
}

export interface SyncTriggerRun {
  identityPoolId: string;
  target: SyncTriggerSettings['target'];
  event: SyncTriggerEvent;
  /** The pool's webhook signing secret (unused by function targets). */
  signingSecret: string;
}

export interface SyncTriggerRunner {
  run(args: SyncTriggerRun): Promise<SyncTriggerEvent>;
  close(): Promise<void>;
}

export function createSyncTriggerRunner(options: SyncTriggerRunnerOptions = {}): SyncTriggerRunner {
  const budgetMs = options.budgetMs ?? SYNC_TRIGGER_BUDGET_MS;
  let functions: FunctionPool | null = null;
  const functionPool = () =>
    (functions ??= new FunctionPool({
      budgetMs,
      maxProcesses: options.maxProcesses,
      maxQueue: options.maxQueue,
      memoryMb: options.memoryMb,
    }));

  return {
    async run({ identityPoolId, target, event, signingSecret }) {
      const eventJson = JSON.stringify(event);
      const answer =
        target.kind === 'function'
          ? await functionPool().run({
              identityPoolId,
              identityId: event.identityId,
              source: target.source,
              event: eventJson,
            })
          : await sendWebhook(
              { url: target.url, identityPoolId, event: eventJson, signingSecret },
              { budgetMs, maxResponseBytes: MAX_TRIGGER_OUTPUT_BYTES, resolve: options.resolve },
            );
      // The event, byte for byte: nothing to check (the common "validate and pass" trigger).
      if (answer === UNCHANGED || answer === eventJson) return event;
      if (answer.length > MAX_TRIGGER_OUTPUT_BYTES) {
        throw invalidTriggerOutput(
          `The sync trigger's answer is over ${MAX_TRIGGER_OUTPUT_BYTES} bytes.`,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer);
      } catch {
        throw invalidTriggerOutput('The sync trigger did not answer with JSON.');
      }
      return checkTriggerOutput(event, parsed);
    },
    async close() {
      await functions?.close();
    },
  };
}
