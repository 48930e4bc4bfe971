/**
 * The child process that runs admin-authored sync trigger functions (forked by function-pool.ts).
 *
 * Isolation, strongest first:
 * - This process: started with the permission model (no fs writes, fs reads of this file only,
 *   no child processes, no workers, no native addons), an empty environment, a small heap and
 *   `--disallow-code-generation-from-strings` (no eval/new Function in any realm, which closes
 *   the classic `this.constructor.constructor('return process')()` escape from node:vm).
 * - Each (pool, source hash) gets its own vm context with the language built-ins only plus
 *   timers and a silent console installed by a bootstrap script, so functions of different
 *   pools never share state. The context is hygiene, not the security boundary; the process is.
 * - The parent sends one invocation at a time and kills this process when an invocation runs
 *   past its budget, so a busy loop or a never-settling promise costs one process, not the API.
 *
 * Protocol (IPC, JSON): parent → `{ id, key, source?, event }` where `event` is the event JSON
 * and `source` is sent only until this child has compiled `key`; child → `{ id, ok: true,
 * output }` (the answer as JSON text, or `unchanged: true` when it is the event's own text),
 * `{ id, ok: false, message }`, or `{ id, ok: false, missing: true }` when it needs the source
 * again (its cache evicted the key).
 */
'use strict';
/* global require, process, setTimeout, clearTimeout */
// A plain CommonJS script: node runs it directly, without our TypeScript toolchain.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const vm = require('node:vm');

const EXPORT_DEFAULT = /\bexport\s+default\b/g;
const MAX_CONTEXTS = 64;

/** Compiled functions by `${poolId}:${sourceHash}`, oldest first. */
const compiled = new Map();
/** Host timers of the invocation in flight, cleared when it ends. */
const timers = new Map();
let nextTimer = 1;
let current = null;

// Nothing an escaped function could reach should lead anywhere: no built-in loader, no env.
delete process.getBuiltinModule;
delete globalThis.fetch;
delete globalThis.WebSocket;

const hostSetTimer = (callback, ms) => {
  const id = nextTimer++;
  timers.set(
    id,
    setTimeout(() => {
      timers.delete(id);
      callback();
    }, ms),
  );
  return id;
};
const hostClearTimer = (id) => {
  clearTimeout(timers.get(id));
  timers.delete(id);
};

/**
 * Runs in the function's context before its source. Captures JSON and friends first, so the
 * function cannot swap what serialises its answer; wraps host timers so the function only ever
 * holds in-context closures and numbers.
 */
const BOOTSTRAP = `(function (setTimer, clearTimer) {
  'use strict';
  const { parse, stringify } = JSON;
  const toText = String;
  const timer = (repeat) => function (fn, ms, ...args) {
    if (typeof fn !== 'function') throw new TypeError('The callback must be a function');
    const delay = Math.max(0, Number(ms) || 0);
    const box = { id: 0 };
    const tick = () => {
      if (repeat) box.id = setTimer(tick, Math.max(1, delay));
      fn(...args);
    };
    box.id = setTimer(tick, delay);
    return box.id;
  };
  const clear = (id) => { if (typeof id === 'number') clearTimer(id); };
  globalThis.setTimeout = timer(false);
  globalThis.setInterval = timer(true);
  globalThis.clearTimeout = clear;
  globalThis.clearInterval = clear;
  const silent = () => undefined;
  globalThis.console = { log: silent, info: silent, warn: silent, error: silent, debug: silent };
  return async function invoke(handler, eventJson) {
    try {
      const answer = await handler(parse(eventJson));
      const output = stringify(answer);
      return typeof output === 'string' ? { ok: true, output } : { ok: false, message: 'The function returned no value.' };
    } catch (error) {
      let message;
      try {
        message = error instanceof Error ? toText(error.message) : toText(error);
      } catch {
        message = 'unknown error';
      }
      return { ok: false, message: 'The function threw: ' + message.slice(0, 500) };
    }
  };
})`;

function compile(source) {
  const context = vm.createContext(Object.create(null), {
    name: 'sync-trigger',
    codeGeneration: { strings: false, wasm: false },
  });
  const bootstrap = new vm.Script(BOOTSTRAP, { filename: 'tandem-bootstrap.js' });
  const invoke = bootstrap.runInContext(context)(hostSetTimer, hostClearTimer);
  const script = new vm.Script(
    `'use strict'; ${source.replace(EXPORT_DEFAULT, 'globalThis.__tandemHandler =')}`,
    { filename: 'sync-trigger.js' },
  );
  script.runInContext(context);
  const handler = context.__tandemHandler;
  if (typeof handler !== 'function') throw new Error('The source has no default export function.');
  return { invoke, handler };
}

function finish(id, reply) {
  for (const handle of timers.values()) clearTimeout(handle);
  timers.clear();
  if (current !== id) return;
  current = null;
  process.send({ id, ...reply });
}

process.on('message', (message) => {
  const { id, key, source, event } = message;
  current = id;
  let entry = compiled.get(key);
  if (!entry) {
    if (typeof source !== 'string') {
      finish(id, { ok: false, missing: true });
      return;
    }
    try {
      entry = compile(source);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      finish(id, { ok: false, message: 'The function does not load: ' + text.slice(0, 500) });
      return;
    }
    if (compiled.size >= MAX_CONTEXTS) compiled.delete(compiled.keys().next().value);
    compiled.set(key, entry);
  }
  let pending;
  try {
    pending = entry.invoke(entry.handler, event);
  } catch (_error) {
    finish(id, { ok: false, message: 'The function could not be started.' });
    return;
  }
  pending.then(
    (result) => {
      const ok = result && result.ok === true && typeof result.output === 'string';
      finish(
        id,
        ok
          ? result.output === event
            ? { ok: true, unchanged: true }
            : { ok: true, output: result.output }
          : { ok: false, message: String((result && result.message) || 'invalid result') },
      );
    },
    () => finish(id, { ok: false, message: 'The function failed.' }),
  );
});

// A throw from a timer callback, or a rejection nobody awaited, fails the invocation in flight
// instead of the process.
process.on('uncaughtException', (error) => {
  if (current === null) return;
  let text = 'uncaught error';
  try {
    text = error instanceof Error ? String(error.message) : String(error);
  } catch {
    // keep the generic text
  }
  finish(current, { ok: false, message: 'The function threw: ' + text.slice(0, 500) });
});
process.on('unhandledRejection', () => undefined);
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
