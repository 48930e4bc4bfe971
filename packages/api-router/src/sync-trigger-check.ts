/**
 * Checks a sync trigger when an admin saves it, so mistakes show in the console rather than as
 * failed syncs later. A function is only compiled, never run: its `export default` becomes an
 * assignment, a `'use strict';` prefix gives it module strictness, and `new vm.Script` parses
 * the result (V8 reports syntax errors, also inside nested functions, at compile time). Other
 * module syntax (`import`, named exports, top-level await) is refused, as the worker does not
 * offer it either. This is a syntax check, not a sandbox: the worker compiles and isolates the
 * function itself when it runs it.
 */
import { invalidParameter } from '@tandem/domain';
import { MAX_TRIGGER_SOURCE_BYTES, type SyncTriggerSettings } from '@tandem/sync-protocol';
import vm from 'node:vm';

const FILENAME = 'sync-trigger.js';
const EXPORT_DEFAULT = /\bexport\s+default\b/;
/** Hosts a development webhook may reach over plain http. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function checkSyncTrigger(trigger: SyncTriggerSettings): void {
  const { target } = trigger;
  if (target.kind === 'webhook') {
    const url = new URL(target.url);
    if (url.protocol !== 'https:' && !LOCAL_HOSTS.has(url.hostname)) {
      throw invalidParameter(
        'A sync trigger webhook must use https (plain http is allowed for localhost and 127.0.0.1 only).',
      );
    }
    if (url.username || url.password) {
      throw invalidParameter('A sync trigger webhook URL must not contain credentials.');
    }
    return;
  }
  checkFunctionSource(target.source);
}

function checkFunctionSource(source: string): void {
  if (Buffer.byteLength(source, 'utf8') > MAX_TRIGGER_SOURCE_BYTES) {
    throw invalidParameter(
      `The sync trigger function is larger than ${MAX_TRIGGER_SOURCE_BYTES} bytes (UTF-8).`,
    );
  }
  if (!EXPORT_DEFAULT.test(source)) {
    throw invalidParameter(
      'The sync trigger function must have a default export: `export default async function (event) { … }`.',
    );
  }
  // The source as a strict script, on its own lines (so errors report the admin's line numbers,
  // also at the end of the source), with its default export turned into an assignment.
  const script = `'use strict'; ${source.replace(new RegExp(EXPORT_DEFAULT, 'g'), '__tandemHandler =')}`;
  try {
    new vm.Script(script, { filename: FILENAME });
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const line = new RegExp(`^${FILENAME.replace('.', '\\.')}:(\\d+)`).exec(error.stack ?? '')?.[1];
    throw invalidParameter(
      `The sync trigger function does not compile: ${line ? `line ${line}: ` : ''}${error.message}`,
    );
  }
}
