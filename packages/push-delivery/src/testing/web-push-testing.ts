/**
 * web-push-testing (a push service that decrypts what it receives) run in the test's process,
 * for the suites that need a real push service: start it, subscribe "browsers" with a VAPID
 * public key, read what each received, expire a subscription.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

// The package's `main` is broken; its server and model are CommonJS without types.
const require = createRequire(import.meta.url);
interface WebPushTestingServer {
  _app: { use(handler: (req: http.IncomingMessage, res: unknown, next: () => void) => void): void };
  _server: http.Server;
  startServer(): void;
}
const WebPushTestingServerClass = require('web-push-testing/src/server.js') as new (
  model: unknown,
  port: number,
) => WebPushTestingServer;
const { PushApiModel } = require('web-push-testing/src/PushApiModel.js') as {
  PushApiModel: new () => { notifyUrl: string };
};

export interface TestSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  clientHash: string;
}

/** The headers of one push request the service received. */
export interface ReceivedPush {
  ttl: string | undefined;
  topic: string | undefined;
  urgency: string | undefined;
  authorization: string | undefined;
}

export interface PushServiceUnderTest {
  /** `http://127.0.0.1:<port>`: allow it with the endpoint policy's `devOrigins`. */
  origin: string;
  /** Headers of every push request received so far, oldest first (clear it with length = 0). */
  received: ReceivedPush[];
  /** Called as each push request arrives, with its subscription's client hash (timing). */
  onNotify: ((clientHash: string) => void) | undefined;
  /** A new browser subscription made with `applicationServerKey`. */
  subscribe(applicationServerKey: string): Promise<TestSubscription>;
  /** Decrypted payloads received for a subscription, oldest first. */
  messages(subscription: TestSubscription): Promise<string[]>;
  /** From now on the push service answers 410 for this subscription. */
  expire(subscription: TestSubscription): Promise<void>;
  close(): Promise<void>;
}

export async function startWebPushTesting(): Promise<PushServiceUnderTest> {
  const model = new PushApiModel();
  const server = new WebPushTestingServerClass(model, 0);
  const received: ReceivedPush[] = [];
  server._app.use((req, _res, next) => {
    if (req.url?.startsWith('/notify/')) {
      service.onNotify?.(req.url.slice('/notify/'.length));
      const header = (name: string) => req.headers[name] as string | undefined;
      received.push({
        ttl: header('ttl'),
        topic: header('topic'),
        urgency: header('urgency'),
        authorization: header('authorization'),
      });
    }
    next();
  });
  // It announces itself with console.log; keep test output readable.
  /* eslint-disable no-console */
  const log = console.log;
  console.log = () => {};
  try {
    server.startServer();
    if (!server._server.listening) await once(server._server, 'listening');
  } finally {
    console.log = log;
  }
  /* eslint-enable no-console */
  const { port } = server._server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  model.notifyUrl = `${origin}/notify/`;

  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`web-push-testing ${path}: ${response.status}`);
    const text = await response.text();
    return (text.startsWith('{') ? JSON.parse(text) : undefined) as T;
  };

  const service: PushServiceUnderTest = {
    origin,
    received,
    onNotify: undefined,
    async subscribe(applicationServerKey) {
      const { data } = await post<{ data: TestSubscription }>('/subscribe', {
        userVisibleOnly: 'true',
        applicationServerKey,
      });
      return data;
    },
    async messages(subscription) {
      const { data } = await post<{ data: { messages: string[] } }>('/get-notifications', {
        clientHash: subscription.clientHash,
      });
      return data.messages;
    },
    async expire(subscription) {
      await post(`/expire-subscription/${subscription.clientHash}`, {});
    },
    async close() {
      server._server.closeAllConnections();
      await new Promise((resolve) => server._server.close(resolve));
    },
  };
  return service;
}
