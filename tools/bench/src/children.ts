/**
 * Child processes of the bench (the API under test, the trivial HTTP server): the same Node,
 * the tsx loader, optional preload modules, an IPC channel. A child is ready when it sends
 * {type: 'ready', url}, or — with `readyLine` — when its stdout shows that line (the API's
 * banner, printed once every worker of a cluster listens). Children are stopped by pid with
 * SIGTERM (SIGKILL after a grace period), and every child still alive when the bench exits is
 * killed, whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnv } from './env.js';

const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

export interface Ready {
  url: string;
  pid: number;
}

export interface Child {
  process: ChildProcess;
  pid: number;
  ready: Ready;
  /** Request/response over the IPC channel. */
  ask<T>(message: { cmd: string; [key: string]: unknown }, timeoutMs?: number): Promise<T>;
  stop(graceMs?: number): Promise<void>;
}

const tsxLoader = import.meta.resolve('tsx');

export async function startChild(
  entry: URL,
  options: {
    name: string;
    env: Record<string, string>;
    /** Modules loaded (with --import) before the entry point. */
    preload?: URL[];
    /** Ready when stdout matches this (its first group is the URL), instead of an IPC message. */
    readyLine?: RegExp;
    readyTimeoutMs?: number;
  },
): Promise<Child> {
  const args = ['--import', tsxLoader];
  for (const url of options.preload ?? []) args.push('--import', url.href);
  const child = spawn(process.execPath, [...args, fileURLToPath(entry)], {
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  let stdout = '';
  let started = false;
  let onStdout: (() => void) | null = null;
  const keep = (stream: 'stdout' | 'stderr') => (text: string) => {
    output = (output + text).slice(-20_000);
    if (!started && stream === 'stdout') {
      stdout = (stdout + text).slice(-20_000);
      onStdout?.();
    }
    // After start-up, only stderr is worth showing (stdout is the API's banner).
    if (started && stream === 'stderr') process.stderr.write(`[${options.name}] ${text}`);
  };
  child.stdout!.setEncoding('utf8').on('data', keep('stdout'));
  child.stderr!.setEncoding('utf8').on('data', keep('stderr'));

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const ready = await new Promise<Ready>((resolve, reject) => {
    const fail = (error: Error) => {
      cleanup();
      reject(new Error(`${error.message}\n--- ${options.name} output ---\n${output}`));
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`${options.name} exited (${code ?? signal}) before it was ready`));
    const onMessage = (message: { type?: string } & Partial<Ready>) => {
      if (options.readyLine || message.type !== 'ready' || typeof message.url !== 'string') return;
      cleanup();
      resolve({ url: message.url, pid: child.pid! });
    };
    onStdout = () => {
      const url = options.readyLine?.exec(stdout)?.[1];
      if (!url) return;
      cleanup();
      resolve({ url, pid: child.pid! });
    };
    const timer = setTimeout(
      () => fail(new Error(`${options.name} was not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const cleanup = () => {
      onStdout = null;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', fail);
      child.off('message', onMessage);
    };
    child.on('exit', onExit);
    child.on('error', fail);
    child.on('message', onMessage);
  }).catch(async (error: unknown) => {
    await stopProcess(child, 2000);
    throw error;
  });
  started = true;

  let nextId = 1;
  const waiting = new Map<number, (value: unknown) => void>();
  child.on('message', (message: { id?: number }) => {
    const resolve = message.id === undefined ? undefined : waiting.get(message.id);
    if (resolve) {
      waiting.delete(message.id!);
      resolve(message);
    }
  });

  return {
    process: child,
    pid: child.pid!,
    ready,
    ask<T>(message: { cmd: string; [key: string]: unknown }, timeoutMs = 10_000) {
      return new Promise<T>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${options.name} did not answer ${message.cmd}`));
        }, timeoutMs);
        waiting.set(id, (value) => {
          clearTimeout(timer);
          const answer = value as { error?: string };
          if (answer.error) reject(new Error(`${options.name}: ${message.cmd}: ${answer.error}`));
          else resolve(value as T);
        });
        child.send({ ...message, id });
      });
    },
    stop: (graceMs = 15_000) => stopProcess(child, graceMs),
  };
}

async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  live.delete(child);
}
