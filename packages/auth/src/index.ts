export * from './admin-user.js';
export * from './auth.js';
export * from './setup-token.js';
export * from './sync-session-token.js';
