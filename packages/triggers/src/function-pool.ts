/**
 * Runs sync trigger functions in a pool of long-lived child processes (function-host.cjs).
 *
 * Ordering and safety:
 * - A child runs one invocation at a time. An invocation's budget starts when it is queued, so
 *   queue wait counts; at the deadline it fails with LambdaSocketTimeoutException and, if it
 *   was running, its child is killed (SIGKILL) and replaced on demand.
 * - One identity runs at most one invocation at a time: a hung function of one identity holds
 *   at most one child until its deadline, and the dispatcher skips that identity's queued work
 *   to serve others. Other identities are held up only when every child is busy.
 * - A child that dies mid-invocation (out of memory, crash) fails that invocation with
 *   InvalidLambdaFunctionOutputException; messages never carry our stack traces.
 * - A queue longer than `maxQueue` refuses new work with LambdaThrottledException (429), which
 *   clients retry.
 */
import { SyncError } from '@tandem/domain';
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { invalidTriggerOutput } from './sync-trigger-event.js';

const HOST_SCRIPT = fileURLToPath(new URL('./function-host.cjs', import.meta.url));

export interface FunctionPoolOptions {
  /** Per-invocation budget, queue wait included (spec §11: 5 s). */
  budgetMs: number;
  /** Child processes at most (default 4). */
  maxProcesses?: number | undefined;
  /** Invocations waiting for a child before new ones are refused (default 256). */
  maxQueue?: number | undefined;
  /** V8 old-space limit of each child, MB (default 64). */
  memoryMb?: number | undefined;
}

export interface FunctionInvocation {
  identityPoolId: string;
  identityId: string;
  source: string;
  /** The event as JSON text. */
  event: string;
}

interface Job extends FunctionInvocation {
  id: number;
  key: string;
  resolve: (output: string | typeof UNCHANGED) => void;
  reject: (error: SyncError) => void;
  timer: NodeJS.Timeout;
  child: Child | null;
}

interface Child {
  process: ChildProcess;
  job: Job | null;
  dead: boolean;
  /** Keys this child was sent the source of (it may have evicted some since: it says so). */
  known: Set<string>;
}

type Reply =
  | { id: number; ok: true; output: string }
  | { id: number; ok: true; unchanged: true }
  | { id: number; ok: false; message: string }
  | { id: number; ok: false; missing: true };

/** Answer of an invocation: the function's JSON text, or UNCHANGED when it is the event's. */
export const UNCHANGED = Symbol('unchanged');

export const timeoutError = (budgetMs: number) =>
  new SyncError(
    'LambdaSocketTimeoutException',
    `The sync trigger did not answer within ${budgetMs / 1000} s.`,
  );

export const throttledError = () =>
  new SyncError('LambdaThrottledException', 'Too many sync triggers are running; retry later.');

export class FunctionPool {
  readonly #options: { [K in keyof FunctionPoolOptions]-?: number };
  readonly #children = new Set<Child>();
  readonly #queue: Job[] = [];
  /** `${pool}\n${identity}` of the invocations running now. */
  readonly #runningIdentities = new Set<string>();
  #nextId = 1;
  #closed = false;

  constructor(options: FunctionPoolOptions) {
    this.#options = {
      budgetMs: options.budgetMs,
      maxProcesses: options.maxProcesses ?? 4,
      maxQueue: options.maxQueue ?? 256,
      memoryMb: options.memoryMb ?? 64,
    };
  }

  /**
   * Runs the function on the event; resolves to its answer as JSON text, or UNCHANGED when the
   * function returned the event exactly as given.
   */
  run(invocation: FunctionInvocation): Promise<string | typeof UNCHANGED> {
    if (this.#closed) return Promise.reject(throttledError());
    if (this.#queue.length >= this.#options.maxQueue) return Promise.reject(throttledError());
    return new Promise<string | typeof UNCHANGED>((resolve, reject) => {
      const job: Job = {
        ...invocation,
        id: this.#nextId++,
        key: `${invocation.identityPoolId}:${this.#hash(invocation.source)}`,
        resolve,
        reject,
        child: null,
        timer: setTimeout(() => this.#expire(job), this.#options.budgetMs),
      };
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      clearTimeout(job.timer);
      job.reject(throttledError());
    }
    for (const child of this.#children) this.#kill(child);
  }

  /** Children alive now (for tests and metrics). */
  get processCount(): number {
    return this.#children.size;
  }

  /** Source → sha256, for the few sources in use (saves hashing up to 64 KB per sync). */
  readonly #hashes = new Map<string, string>();
  #hash(source: string): string {
    let hash = this.#hashes.get(source);
    if (hash === undefined) {
      hash = createHash('sha256').update(source).digest('hex');
      if (this.#hashes.size >= 256) this.#hashes.clear();
      this.#hashes.set(source, hash);
    }
    return hash;
  }

  #identityKey = (job: FunctionInvocation) => `${job.identityPoolId}\n${job.identityId}`;

  #dispatch(): void {
    for (let i = 0; i < this.#queue.length;) {
      const job = this.#queue[i]!;
      if (this.#runningIdentities.has(this.#identityKey(job))) {
        i++;
        continue;
      }
      const child = this.#idleChild();
      if (!child) return;
      this.#queue.splice(i, 1);
      this.#start(child, job);
    }
  }

  #idleChild(): Child | null {
    for (const child of this.#children) if (!child.job && !child.dead) return child;
    if (this.#children.size >= this.#options.maxProcesses) return null;
    return this.#spawn();
  }

  #spawn(): Child {
    const process = fork(HOST_SCRIPT, [], {
      execArgv: [
        '--experimental-permission',
        `--allow-fs-read=${HOST_SCRIPT}`,
        `--max-old-space-size=${this.#options.memoryMb}`,
        '--disallow-code-generation-from-strings',
        '--no-warnings',
      ],
      // No secrets: the child sees no environment at all.
      env: {} as NodeJS.ProcessEnv,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'json',
    });
    const child: Child = { process, job: null, dead: false, known: new Set() };
    this.#children.add(child);
    process.on('message', (message: Reply | { ready: true }) => {
      if ('id' in message) this.#reply(child, message);
    });
    process.on('error', () => this.#died(child, null));
    process.on('exit', (_code, signal) => this.#died(child, signal));
    process.unref();
    // The IPC channel must not keep the host alive either; pending jobs hold their timers.
    (process.channel as { unref?: () => void } | undefined)?.unref?.();
    return child;
  }

  #start(child: Child, job: Job): void {
    child.job = job;
    job.child = child;
    this.#runningIdentities.add(this.#identityKey(job));
    this.#send(child, job, !child.known.has(job.key));
  }

  #send(child: Child, job: Job, withSource: boolean): void {
    child.known.add(job.key);
    child.process.send(
      withSource
        ? { id: job.id, key: job.key, source: job.source, event: job.event }
        : { id: job.id, key: job.key, event: job.event },
    );
  }

  #settle(job: Job): void {
    clearTimeout(job.timer);
    if (job.child) {
      job.child.job = null;
      job.child = null;
      this.#runningIdentities.delete(this.#identityKey(job));
    }
  }

  #reply(child: Child, reply: Reply): void {
    const job = child.job;
    if (!job || job.id !== reply.id) return;
    if (!reply.ok && 'missing' in reply) {
      this.#send(child, job, true);
      return;
    }
    this.#settle(job);
    if (reply.ok) job.resolve('unchanged' in reply ? UNCHANGED : reply.output);
    else job.reject(invalidTriggerOutput(`The sync trigger function failed: ${reply.message}`));
    this.#dispatch();
  }

  #expire(job: Job): void {
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) this.#queue.splice(queued, 1);
    const child = job.child;
    this.#settle(job);
    if (child) this.#kill(child);
    job.reject(timeoutError(this.#options.budgetMs));
    this.#dispatch();
  }

  #kill(child: Child): void {
    child.dead = true;
    this.#children.delete(child);
    child.process.kill('SIGKILL');
  }

  #died(child: Child, signal: NodeJS.Signals | null): void {
    const job = child.job;
    child.dead = true;
    this.#children.delete(child);
    if (job) {
      this.#settle(job);
      job.reject(
        invalidTriggerOutput(
          signal === 'SIGABRT' || signal === 'SIGTRAP' || signal === null
            ? `The sync trigger function ran out of memory or crashed (limit ${this.#options.memoryMb} MB).`
            : 'The sync trigger function stopped unexpectedly.',
        ),
      );
    }
    if (!this.#closed) this.#dispatch();
  }
}
