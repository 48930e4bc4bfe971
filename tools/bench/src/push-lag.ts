/**
 * S4 (research perf-reliability §C): change → other-device push. Each writing device's identity
 * has `devicesPerIdentity` browsers subscribed to the written dataset at a local push service
 * (web-push-testing in its own process, push-service.ts: it decrypts what it receives). The API
 * child runs the push fan-out (RUN_WORKER=true) and may send to that service (PUSH_DEV_ORIGINS).
 *
 * Lag of a push = when the push service received it − the change's commit time (change_log
 * `committed_at`, taken inside the writing transaction). Each push is matched to its change by
 * the payload's sync count (decrypted by the push service). Pushes per change: collapsing (one
 * push per dataset per fan-out batch) makes it at most 1 per (change, device); every device must
 * still hear about the dataset's last change.
 *
 * B_push_cached: the crypto of one push with the VAPID header cached (what the sender does),
 * measured in this process on one core: `web-push`'s generateRequestDetails with a 40-byte
 * payload and a ready Authorization header.
 */
import { createDb, createSecretBox, setPushSettings } from '@tandem/db';
import type { TestSubscription } from '@tandem/push-delivery/testing';
import type { Child } from './children.js';
import { performance } from 'node:perf_hooks';
import webpush from 'web-push';
import type { Device } from './devices.js';
import { sleep } from './http-load.js';
import { round, summarise } from './stats.js';

/** The push service child (push-service.ts), through its IPC. */
export interface BenchPushService {
  origin: string;
  subscribe(applicationServerKey: string): Promise<TestSubscription>;
  messages(subscription: TestSubscription): Promise<string[]>;
  arrivals(): Promise<Record<string, number[]>>;
}

export function pushServiceOf(child: Child): BenchPushService {
  return {
    origin: child.ready.url,
    subscribe: async (applicationServerKey) =>
      (
        await child.ask<{ subscription: TestSubscription }>({
          cmd: 'subscribe',
          applicationServerKey,
        })
      ).subscription,
    messages: async (subscription) =>
      (await child.ask<{ messages: string[] }>({ cmd: 'messages', subscription }, 30_000)).messages,
    arrivals: async () =>
      (await child.ask<{ arrivals: Record<string, number[]> }>({ cmd: 'arrivals' }, 30_000))
        .arrivals,
  };
}

export interface PushLagOptions {
  apiDatabaseUrl: string;
  identityPoolId: string;
  secret: string;
  pushService: BenchPushService;
  devices: Device[];
  devicesPerIdentity: number;
  datasetName: string;
  load(): Promise<{ throughput: number; ops: number }>;
  log(message: string): void;
}

export interface PushLagResult {
  lag: ReturnType<typeof summarise>;
  pushes: number;
  pushesPerS: number;
  changes: number;
  /** Pushes ÷ (changes × devices per identity): ≤ 1 with collapsing. */
  pushesPerChangeAndDevice: number;
  /** Devices that heard about their dataset's last change ÷ all devices. */
  lastChangeDelivered: number;
}

/** One core's rate of encrypted pushes with the VAPID header cached (B_push_cached). */
export function measurePushCryptoBaseline(durationMs = 2_000): number {
  const vapid = webpush.generateVAPIDKeys();
  const browser = webpush.generateVAPIDKeys(); // any P-256 key pair serves as the browser's
  const subscription = {
    endpoint: 'https://fcm.googleapis.com/fcm/send/bench',
    keys: {
      p256dh: browser.publicKey,
      auth: Buffer.from('0123456789abcdef').toString('base64url'),
    },
  };
  const headers = webpush.getVapidHeaders(
    'https://fcm.googleapis.com',
    'mailto:bench@tandem.invalid',
    vapid.publicKey,
    vapid.privateKey,
    'aes128gcm',
  );
  const payload = Buffer.from(JSON.stringify({ source: 'cognito-sync', syncCount: 12345 }));
  let n = 0;
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    webpush.generateRequestDetails(subscription, payload, {
      headers: { Authorization: headers.Authorization },
      TTL: 60,
    });
    n++;
  }
  return (n * 1000) / durationMs;
}

export async function registerPushDevices(options: {
  apiDatabaseUrl: string;
  identityPoolId: string;
  secret: string;
  pushService: BenchPushService;
  devices: Device[];
  devicesPerIdentity: number;
  datasetName: string;
}): Promise<Map<string, { device: Device; subscription: TestSubscription }>> {
  const database = await createDb({ url: options.apiDatabaseUrl, poolMax: 2 });
  let vapidPublicKey: string;
  try {
    await setPushSettings(database.db, createSecretBox(options.secret), {
      identityPoolId: options.identityPoolId,
      enabled: true,
    });
    const [row] = await database.sql.query<{ public_key: string }>(
      {
        name: 'bench_s4_key',
        text: `select public_key from vapid_key where identity_pool_id = $1 and retired_at is null`,
      },
      [options.identityPoolId],
    );
    vapidPublicKey = row!.public_key;
  } finally {
    await database.close();
  }
  const byHash = new Map<string, { device: Device; subscription: TestSubscription }>();
  for (const device of options.devices) {
    for (let k = 0; k < options.devicesPerIdentity; k++) {
      const subscription = await options.pushService.subscribe(vapidPublicKey);
      const deviceId = `${device.deviceId}-browser${k}`;
      await device.client.device.register.mutate({
        identityPoolId: options.identityPoolId,
        platform: 'WEB_PUSH',
        deviceId,
        subscription: { endpoint: subscription.endpoint, keys: subscription.keys },
      });
      await device.client.device.subscribe.mutate({
        identityPoolId: options.identityPoolId,
        deviceId,
        datasetName: options.datasetName,
      });
      byHash.set(subscription.clientHash, { device, subscription });
    }
  }
  return byHash;
}

export async function measurePushLag(
  options: PushLagOptions,
  targets: Map<string, { device: Device; subscription: TestSubscription }>,
): Promise<PushLagResult> {
  const { pushService } = options;
  // Arrival times per subscription, in arrival order (the service keeps messages in that order).
  const before = await pushService.arrivals();
  const started = Date.now();
  await options.load();
  const loadEnded = Date.now();
  await sleep(2_000); // the last pushes of the window
  const after = await pushService.arrivals();
  const arrivals = new Map(
    Object.entries(after).map(([hash, times]) => [hash, times.slice(before[hash]?.length ?? 0)]),
  );

  // Commit times of every change of the bench dataset since the load started.
  const database = await createDb({ url: options.apiDatabaseUrl, poolMax: 2 });
  const commits = new Map<string, number>();
  let changes = 0;
  const lastSyncCount = new Map<string, number>();
  try {
    const rows = await database.sql.query<{
      identity_id: string;
      sync_count: unknown;
      at: unknown;
    }>(
      {
        name: 'bench_s4_commits',
        text: `select identity_id, sync_count::int8 as sync_count,
            (extract(epoch from committed_at) * 1000)::float8 as at
          from change_log where identity_pool_id = $1 and dataset_name = $2
            and committed_at >= to_timestamp($3::float8 / 1000)`,
      },
      [options.identityPoolId, options.datasetName, started],
    );
    for (const r of rows) {
      commits.set(`${r.identity_id}/${Number(r.sync_count)}`, Number(r.at));
      lastSyncCount.set(
        r.identity_id,
        Math.max(lastSyncCount.get(r.identity_id) ?? 0, Number(r.sync_count)),
      );
      changes++;
    }
  } finally {
    await database.close();
  }

  const lags: number[] = [];
  let pushes = 0;
  let heardLast = 0;
  for (const [clientHash, { device, subscription }] of targets) {
    const messages = (await pushService.messages(subscription)).slice(
      before[clientHash]?.length ?? 0,
    );
    const times = arrivals.get(clientHash) ?? [];
    let last = 0;
    messages.forEach((text, i) => {
      const payload = JSON.parse(text) as { syncCount: number };
      const committedAt = commits.get(`${device.identityId}/${payload.syncCount}`);
      const arrivedAt = times[i];
      last = Math.max(last, payload.syncCount);
      if (committedAt === undefined || arrivedAt === undefined) return;
      pushes++;
      lags.push(arrivedAt - committedAt);
    });
    if (last >= (lastSyncCount.get(device.identityId) ?? 0)) heardLast++;
  }
  return {
    lag: summarise(Float64Array.from(lags)),
    pushes,
    pushesPerS: round((pushes * 1000) / Math.max(1, loadEnded - started), 1),
    changes,
    pushesPerChangeAndDevice:
      changes === 0 ? 0 : round(pushes / (changes * options.devicesPerIdentity), 3),
    lastChangeDelivered: targets.size === 0 ? 0 : round(heardLast / targets.size, 4),
  };
}
