export * from './auth.js';
export * from './change-log.js';
export * from './dataset.js';
export * from './device.js';
export * from './identity-pool.js';
export * from './pool-settings.js';
export * from './aws-credential.js';
