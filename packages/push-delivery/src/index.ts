export {
  AUTH_SECRET_BYTES,
  DEFAULT_PUSH_SERVICE_HOSTS,
  MAX_ENDPOINT_BYTES,
  P256DH_BYTES,
  PushEndpointError,
  PushEndpointErrorReason,
  createPushEndpointPolicy,
  isAllowedPushHost,
  isDevOrigin,
  isValidAuthSecret,
  isValidP256dh,
  parsePushSubscription,
  pushSubscriptionSchema,
  validatePushEndpoint,
} from './endpoint.js';
export type {
  PushEndpointPolicy,
  PushEndpointPolicyOptions,
  PushSubscriptionInput,
  ValidPushSubscription,
} from './endpoint.js';
export {
  MAX_PUSH_PAYLOAD_BYTES,
  MAX_TOPIC_LENGTH,
  PUSH_PAYLOAD_SOURCE,
  PushPayloadTooLargeError,
  assertPushPayloadSize,
  datasetTopic,
  decodePushPayload,
  encodePushPayload,
  isValidTopic,
  pushPayloadSchema,
} from './payload.js';
export type { PushPayload } from './payload.js';
export { isPublicAddress, pinnedLookup, resolvePushTarget, systemResolver } from './resolve.js';
export type { PushHostResolver, ResolvePushTargetOptions, ResolvedAddress } from './resolve.js';
export { PushSenderError, createPushSender, parseRetryAfter } from './sender.js';
export type {
  PushOutcome,
  PushRejectReason,
  PushRetryReason,
  PushSendRequest,
  PushSender,
  PushSenderOptions,
  PushSenderStats,
  PushTarget,
  Urgency,
  VapidCredentials,
} from './sender.js';
export { PushFanout } from './fanout.js';
export type { FanoutLogger, PushFanoutOptions } from './fanout.js';
export { checkPushSubscription, startPushService } from './service.js';
export type { PushService, PushServiceOptions } from './service.js';
