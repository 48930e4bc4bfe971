/**
 * The load generator: a minimal HTTP/1.1 client over raw keep-alive sockets, and a closed-loop
 * runner on top of it. It is deliberately bare (no header objects, no URL parsing, no streams):
 * on this 2-core box the generator shares the CPU with the server and PostgreSQL, so every
 * microsecond it spends is taken from the system under test. Both the baseline (B_http) and the
 * scenarios are driven by this same code, so whatever it costs weighs on both sides of a ratio.
 *
 * One request in flight per connection (no pipelining): a connection is one device.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface RawResponse {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

interface Pending {
  resolve: (response: RawResponse) => void;
  reject: (error: Error) => void;
}

/** One keep-alive connection; `request` takes the complete request bytes. */
export class RawHttpConnection {
  readonly #socket: net.Socket;
  #buffer: Buffer = EMPTY;
  #pending: Pending | null = null;
  #closed = false;
  #closeError: Error | null = null;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('connection closed by server')));
  }

  static connect(host: string, port: number): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawHttpConnection(socket));
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  request(raw: string | Buffer): Promise<RawResponse> {
    if (this.#closed) return Promise.reject(this.#closeError ?? new Error('connection closed'));
    if (this.#pending) return Promise.reject(new Error('a request is already in flight'));
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#socket.write(raw);
    });
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #fail(error: Error): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#closeError = error;
      this.#socket.destroy();
    }
    const pending = this.#pending;
    this.#pending = null;
    pending?.reject(error);
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (!this.#pending) {
      // Bytes nobody asked for: the server is not speaking request/response to us.
      this.#fail(new Error('unexpected data from server'));
      return;
    }
    let parsed: { response: RawResponse; consumed: number; close: boolean } | null;
    try {
      parsed = parseResponse(this.#buffer);
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    if (!parsed) return; // need more bytes
    this.#buffer =
      parsed.consumed === this.#buffer.length ? EMPTY : this.#buffer.subarray(parsed.consumed);
    const pending = this.#pending;
    this.#pending = null;
    if (parsed.close) {
      this.#closed = true;
      this.#closeError = new Error('server closed the connection (connection: close)');
      this.#socket.end();
    }
    pending.resolve(parsed.response);
  }
}

/**
 * Parses one HTTP/1.1 response from the start of `buf`: Content-Length or chunked bodies.
 * Returns null while incomplete.
 */
export function parseResponse(
  buf: Buffer,
): { response: RawResponse; consumed: number; close: boolean } | null {
  const headerEnd = buf.indexOf(HEADER_END);
  if (headerEnd < 0) return null;
  const head = buf.toString('latin1', 0, headerEnd);
  if (!head.startsWith('HTTP/1.'))
    throw new Error(`not an HTTP response: ${JSON.stringify(head.slice(0, 40))}`);
  const status = Number(head.slice(9, 12));
  const lower = head.toLowerCase();
  const close = /\r\nconnection:\s*close/.test(lower);
  let pos = headerEnd + 4;

  const lengthAt = lower.indexOf('\r\ncontent-length:');
  if (lengthAt >= 0) {
    const lineEnd = lower.indexOf('\r\n', lengthAt + 2);
    const length = Number(lower.slice(lengthAt + 17, lineEnd < 0 ? undefined : lineEnd).trim());
    if (!Number.isSafeInteger(length) || length < 0) throw new Error('bad content-length');
    if (buf.length < pos + length) return null;
    return {
      response: { status, body: buf.subarray(pos, pos + length) },
      consumed: pos + length,
      close,
    };
  }
  if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
    const parts: Buffer[] = [];
    for (;;) {
      const sizeEnd = buf.indexOf(CRLF, pos);
      if (sizeEnd < 0) return null;
      const size = parseInt(buf.toString('latin1', pos, sizeEnd), 16);
      if (!Number.isSafeInteger(size) || size < 0) throw new Error('bad chunk size');
      const dataStart = sizeEnd + 2;
      if (size === 0) {
        // No trailers expected: the last chunk is "0\r\n\r\n".
        if (buf.length < dataStart + 2) return null;
        const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        return { response: { status, body }, consumed: dataStart + 2, close };
      }
      if (buf.length < dataStart + size + 2) return null;
      parts.push(buf.subarray(dataStart, dataStart + size));
      pos = dataStart + size + 2;
    }
  }
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { response: { status, body: EMPTY }, consumed: pos, close };
  }
  throw new Error('response without content-length or chunked encoding is not supported');
}

/** Builds request bytes. Header names are written as given; `body` is sent with its length. */
export function buildRequest(
  method: 'GET' | 'POST',
  hostHeader: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): string {
  let text = `${method} ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\n`;
  for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
  if (body !== undefined) text += `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  else text += '\r\n';
  return text;
}

/** A device of a closed loop: what to send next, and whether the answer counts as success. */
export interface LoadDevice {
  connection: RawHttpConnection;
  /** The next request's bytes; a promise when they take asynchronous work (e.g. signing). */
  next(): string | Buffer | Promise<string | Buffer>;
  /** Returns an error label (counted as an error) or null for success. */
  handle(response: RawResponse): string | null;
  /** Called after an error, before the next request (e.g. to resynchronise state). */
  recover?(): Promise<void>;
}

export interface PhaseHooks {
  /** Called right when measurement starts, and right when it ends. */
  onMeasureStart?(): void | Promise<void>;
  onMeasureEnd?(): void | Promise<void>;
}

export interface ClosedLoopResult {
  /** Successful operations completed inside the measurement window. */
  ops: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** Latencies (ms) of the successful operations completed inside the window. */
  latenciesMs: Float64Array;
  durationS: number;
}

class GrowableSamples {
  #data = new Float64Array(1 << 16);
  #length = 0;
  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }
  toArray(): Float64Array {
    return this.#data.slice(0, this.#length);
  }
}

/**
 * Closed loop: every device sends its next request as soon as the previous answer arrived.
 * Requests completing during the warm-up are not counted; after the measurement window no new
 * request is sent, and answers arriving after it are not counted either.
 */
export async function runClosedLoop(
  devices: LoadDevice[],
  options: {
    warmupMs: number;
    durationMs: number;
    /**
     * Paced: each device starts a request every `paceMs` (spread over the first interval), or
     * at once when behind, so the offered rate is devices ÷ paceMs unless the server is slower.
     */
    paceMs?: number | undefined;
  } & PhaseHooks,
): Promise<ClosedLoopResult> {
  const samples = new GrowableSamples();
  const errorKinds: Record<string, number> = {};
  let ops = 0;
  let errors = 0;
  let measuring = false;
  let stopped = false;

  const loop = async (device: LoadDevice, index: number) => {
    const pace = options.paceMs;
    let slot = performance.now() + (pace ? (pace * index) / devices.length : 0);
    while (!stopped) {
      if (pace) {
        const wait = slot - performance.now();
        if (wait > 0) await sleep(wait);
        slot += pace;
        if (stopped) break;
      }
      const next = device.next();
      const request = typeof next === 'string' || Buffer.isBuffer(next) ? next : await next;
      const started = performance.now();
      let failure: string | null;
      try {
        const response = await device.connection.request(request);
        failure = device.handle(response);
      } catch (error) {
        failure = `transport: ${(error as Error).message}`;
      }
      const elapsed = performance.now() - started;
      if (measuring) {
        if (failure === null) {
          ops++;
          samples.push(elapsed);
        } else {
          errors++;
          errorKinds[failure] = (errorKinds[failure] ?? 0) + 1;
        }
      }
      if (failure !== null) {
        if (device.connection.closed) throw new Error(`connection lost: ${failure}`);
        await device.recover?.();
      }
    }
  };

  const running = Promise.all(devices.map((device, index) => loop(device, index)));
  // A broken loop must not wait for the timers: surface it at once.
  let loopError: unknown = null;
  running.catch((error: unknown) => {
    loopError = error;
    stopped = true;
  });

  await sleep(options.warmupMs);
  if (loopError) throw loopError;
  await options.onMeasureStart?.();
  measuring = true;
  const windowStart = performance.now();
  await sleep(options.durationMs);
  measuring = false;
  const windowEnd = performance.now();
  stopped = true;
  await options.onMeasureEnd?.();
  await running;
  return {
    ops,
    errors,
    errorKinds,
    latenciesMs: samples.toArray(),
    durationS: (windowEnd - windowStart) / 1000,
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
