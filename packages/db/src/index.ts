export * from './change-feed.js';
export * from './client.js';
export * from './queries/change-log.js';
export * from './queries/dataset.js';
export * from './queries/identity-pool.js';
export * from './queries/identity.js';
export * from './queries/merge.js';
export * from './queries/usage.js';
export * as schema from './schema/index.js';
