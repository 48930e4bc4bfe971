/**
 * The wire protocol version of the tRPC sync API. Bump it when a schema in this package changes
 * shape, and add a line below; the hash pinned in protocol-version.test.ts forces the bump.
 *
 * 1 — initial: datasets, records, usage, identities, identity pools, live pokes; pool settings
 *     (push, streams, sync trigger, bulk publish), the pool dashboard, first-run setup, push
 *     devices, record.lastDeviceWrite (whether an unanswered push committed), and AWS developer
 *     keys (admin.developerKey). Unreleased, so still 1.
 */
export const PROTOCOL_VERSION = 1;

/** Oldest client protocol the server still answers. */
export const MIN_SUPPORTED_PROTOCOL_VERSION = 1;
