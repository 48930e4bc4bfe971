export * from './errors.js';
export * from './http.js';
export * from './identity-credentials.js';
export * from './cognito-identity.js';
export * from './sigv4.js';
export * from './node-adapter.js';
export * from './principal.js';
export { createCognitoSyncHandler, COGNITO_SYNC_SERVICE } from './cognito-sync/handler.js';
export { isCognitoSyncPath, matchRoute } from './cognito-sync/routes.js';
