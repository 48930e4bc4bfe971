/**
 * Push sync fan-out: for each committed change, one web push to every other device of the
 * identity subscribed to that dataset (spec §12), never to the device that wrote it.
 *
 * A change-log consumer (`push`) reads committed changes in commit-safe order. Its handler only
 * looks up who to tell and hands the sends to the sender, then returns: the checkpoint moves
 * without waiting for any push service, so a slow or dead push service delays nobody (not the
 * syncs, which never wait for this at all, and not other devices, whose push services have their
 * own queues in the sender). The price: a push in flight when the process dies is not retried.
 * Pushes are hints — a device also syncs when it opens, comes online or hears the live channel —
 * so losing one delays a background refresh, never data.
 *
 * Within a batch, changes to one dataset collapse into one push carrying the latest sync count
 * (and the push service collapses pending ones by `Topic`). Outcomes: delivered marks the device;
 * 404/410 deletes it; 429 and retryable failures are tried again after the delay the sender
 * gives, unless a newer push for that device and dataset superseded them.
 */
import { ChangeLogConsumer, type ChangeLogEntry } from '@tandem/change-log';
import {
  getCurrentVapidKey,
  getPoolSettings,
  markDeviceDelivered,
  pushTargets,
  removeGoneDevice,
  type ChangeFeed,
  type Database,
  type PushTarget as DeviceTarget,
  type SecretBox,
} from '@tandem/db';
import { datasetTopic, encodePushPayload } from './payload.js';
import type { PushOutcome, PushSender, VapidCredentials } from './sender.js';

export interface FanoutLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface PushFanoutOptions {
  database: Database;
  sender: PushSender;
  /** Opens the pools' sealed VAPID private keys. */
  settingsBox: SecretBox;
  /** VAPID `sub`: a `mailto:` or `https:` contact for push service operators. */
  vapidSubject: string;
  logger: FanoutLogger;
  /** In-process wake-ups (needed on PGlite, where writes are not announced with NOTIFY). */
  feed?: Pick<ChangeFeed, 'subscribeAll'> | undefined;
  holderId?: string | undefined;
  pollIntervalMs?: number | undefined;
  leaseMs?: number | undefined;
  /** Attempts per push for retryable failures (default 5). */
  maxAttempts?: number | undefined;
  /** How long a pool's push settings and key are reused (default 5 s: enabling, disabling or a rotation shows after it). */
  poolCacheMs?: number | undefined;
  /** Every final outcome (metrics, tests). */
  onOutcome?:
    | ((event: { target: DeviceTarget; syncCount: number; outcome: PushOutcome }) => void)
    | undefined;
}

interface PoolPush {
  vapid: VapidCredentials | null;
  expiresAt: number;
}

interface Delivery {
  target: DeviceTarget;
  identityPoolId: string;
  datasetName: string;
  syncCount: number;
  vapid: VapidCredentials;
  attempt: number;
}

export class PushFanout {
  readonly #options: PushFanoutOptions;
  readonly #consumer: ChangeLogConsumer;
  readonly #pools = new Map<string, PoolPush>();
  /** Latest sync count pushed per (device, dataset): older retries give way to it. */
  readonly #latest = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(options: PushFanoutOptions) {
    this.#options = options;
    this.#consumer = new ChangeLogConsumer({
      database: options.database,
      name: 'push',
      holderId: options.holderId,
      pollIntervalMs: options.pollIntervalMs,
      leaseMs: options.leaseMs,
      feed: options.feed,
      batchSize: 500,
      handler: (batch) => this.#handle(batch),
      onError: (error) => options.logger.warn({ err: error }, 'push fan-out: a round failed'),
    });
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#consumer.run();
  }

  /**
   * Stops reading changes, drops scheduled retries and waits for the sends in flight, at most
   * `graceMs` (default 2 s: a stalled push service must not hold up a shutdown).
   */
  async stop(graceMs = 2_000): Promise<void> {
    this.#stopped = true;
    await this.#consumer.stop();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight]),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
  }

  async #handle(batch: readonly ChangeLogEntry[]): Promise<void> {
    // One push per dataset per batch, with the latest sync count. The writer is left out only
    // when it wrote every change of the group (else it has something new to fetch too).
    const groups = new Map<string, { last: ChangeLogEntry; writers: Set<string | null> }>();
    for (const change of batch) {
      const key = `${change.identityId}\u0000${change.datasetName}`;
      const group = groups.get(key);
      if (group) {
        group.last = change;
        group.writers.add(change.deviceId);
      } else {
        groups.set(key, { last: change, writers: new Set([change.deviceId]) });
      }
    }
    for (const { last, writers } of groups.values()) {
      const vapid = await this.#poolVapid(last.identityPoolId);
      if (!vapid) continue;
      const excludeDeviceId = writers.size === 1 ? ([...writers][0] ?? null) : null;
      const targets = await pushTargets(this.#options.database.sql, {
        identityId: last.identityId,
        datasetName: last.datasetName,
        excludeDeviceId,
      });
      for (const target of targets) {
        this.#latest.set(deliveryKey(target, last.datasetName), last.syncCount);
        this.#send({
          target,
          identityPoolId: last.identityPoolId,
          datasetName: last.datasetName,
          syncCount: last.syncCount,
          vapid,
          attempt: 0,
        });
      }
    }
  }

  /** The pool's VAPID credentials when push sync is on, else null (cached briefly). */
  async #poolVapid(identityPoolId: string): Promise<VapidCredentials | null> {
    const cached = this.#pools.get(identityPoolId);
    if (cached && cached.expiresAt > Date.now()) return cached.vapid;
    const { database, settingsBox, vapidSubject } = this.#options;
    const settings = await getPoolSettings(database.db, identityPoolId).catch(() => null);
    const key = settings?.push.enabled
      ? await getCurrentVapidKey(database.db, settingsBox, identityPoolId)
      : null;
    const vapid = key
      ? { publicKey: key.publicKey, privateKey: key.privateKey, subject: vapidSubject }
      : null;
    this.#pools.set(identityPoolId, {
      vapid,
      expiresAt: Date.now() + (this.#options.poolCacheMs ?? 5_000),
    });
    return vapid;
  }

  #send(delivery: Delivery): void {
    const running = this.#deliver(delivery).catch((error: unknown) => {
      if (this.#stopped) return; // the sender was closed under it at shutdown
      this.#options.logger.error({ err: error }, 'push fan-out: a delivery failed unexpectedly');
    });
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  async #deliver(delivery: Delivery): Promise<void> {
    const { target, identityPoolId, datasetName, syncCount, vapid } = delivery;
    const outcome = await this.#options.sender.send({
      subscription: {
        endpoint: target.endpoint,
        keys: { p256dh: target.p256dh, auth: target.auth },
      },
      vapid,
      payload: encodePushPayload({
        identityPoolId,
        identityId: target.identityId,
        datasetName,
        syncCount,
      }),
      topic: datasetTopic({ identityPoolId, identityId: target.identityId, datasetName }),
      urgency: 'normal',
      attempt: delivery.attempt,
    });
    const sql = this.#options.database.sql;
    switch (outcome.kind) {
      case 'delivered':
        await markDeviceDelivered(sql, target);
        break;
      case 'gone':
        await removeGoneDevice(sql, target);
        this.#options.logger.info(
          { identityId: target.identityId, deviceId: target.deviceId, status: outcome.status },
          'push: subscription gone, device removed',
        );
        break;
      case 'throttled':
      case 'retry': {
        const attempts = this.#options.maxAttempts ?? 5;
        if (delivery.attempt + 1 < attempts && !this.#stopped) {
          this.#later(outcome.retryAfterMs, { ...delivery, attempt: delivery.attempt + 1 });
          return; // not final yet
        }
        this.#options.logger.warn(
          { identityId: target.identityId, deviceId: target.deviceId, outcome: outcome.kind },
          'push: giving up on a notification after retries',
        );
        break;
      }
      default:
        this.#options.logger.warn(
          { identityId: target.identityId, deviceId: target.deviceId, outcome },
          'push: notification refused',
        );
    }
    const key = deliveryKey(target, datasetName);
    if (this.#latest.get(key) === syncCount) this.#latest.delete(key);
    this.#options.onOutcome?.({ target, syncCount, outcome });
  }

  #later(delayMs: number, delivery: Delivery): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      // A newer change of this dataset was pushed since: this one has nothing to add.
      const latest = this.#latest.get(deliveryKey(delivery.target, delivery.datasetName));
      if (latest !== undefined && latest > delivery.syncCount) return;
      this.#send(delivery);
    }, delayMs);
    timer.unref();
    this.#timers.add(timer);
  }
}

const deliveryKey = (target: DeviceTarget, datasetName: string) =>
  `${target.identityId}\u0000${target.deviceId}\u0000${datasetName}`;
