/**
 * Push sync as one service for a host (apps/api on the embedded default, apps/push when scaled
 * out): the endpoint policy registrations are checked against, the sender, and the fan-out.
 */
import type { ChangeFeed, Database, SecretBox } from '@tandem/db';
import { invalidParameter } from '@tandem/domain';
import {
  createPushEndpointPolicy,
  parsePushSubscription,
  PushEndpointError,
  type PushEndpointPolicy,
  type PushEndpointPolicyOptions,
} from './endpoint.js';
import { PushFanout, type FanoutLogger, type PushFanoutOptions } from './fanout.js';
import type { PushHostResolver } from './resolve.js';
import { createPushSender, type PushSender, type PushSenderOptions } from './sender.js';

/** Throws InvalidParameterException (with the reason, never the endpoint) for a bad subscription. */
export async function checkPushSubscription(
  policy: PushEndpointPolicy,
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } },
): Promise<void> {
  try {
    parsePushSubscription(policy, { endpoint: subscription.endpoint, keys: subscription.keys });
  } catch (error) {
    if (error instanceof PushEndpointError) throw invalidParameter(error.message);
    throw error;
  }
}

export interface PushServiceOptions {
  database: Database;
  settingsBox: SecretBox;
  vapidSubject: string;
  logger: FanoutLogger;
  feed?: Pick<ChangeFeed, 'subscribeAll'> | undefined;
  policy?: PushEndpointPolicyOptions | undefined;
  resolver?: PushHostResolver | undefined;
  sender?: Omit<PushSenderOptions, 'policy' | 'resolver'> | undefined;
  fanout?:
    | Pick<
        PushFanoutOptions,
        'holderId' | 'pollIntervalMs' | 'leaseMs' | 'maxAttempts' | 'poolCacheMs' | 'onOutcome'
      >
    | undefined;
}

export interface PushService {
  policy: PushEndpointPolicy;
  sender: PushSender;
  fanout: PushFanout;
  stop(): Promise<void>;
}

export async function startPushService(options: PushServiceOptions): Promise<PushService> {
  const policy = createPushEndpointPolicy(options.policy);
  const sender = createPushSender({ ...options.sender, policy, resolver: options.resolver });
  const fanout = new PushFanout({
    ...options.fanout,
    database: options.database,
    sender,
    settingsBox: options.settingsBox,
    vapidSubject: options.vapidSubject,
    logger: options.logger,
    feed: options.feed,
  });
  await fanout.start();
  return {
    policy,
    sender,
    fanout,
    async stop() {
      await fanout.stop();
      sender.close();
    },
  };
}
