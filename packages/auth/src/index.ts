export * from './admin-user.js';
export * from './auth.js';
export * from './sync-session-token.js';
