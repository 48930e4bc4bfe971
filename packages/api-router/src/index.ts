export { createApiCaches, createContextFactory, type ApiDeps, type Context } from './context.js';
export { appRouter, type AppRouter } from './root.js';
export { deriveApiSecrets, type ApiSecrets } from './secrets.js';
export { createCallerFactory, describeApiError } from './trpc.js';
export { callerIdentity } from './identity-scope.js';
export { NoopPullCache } from './noop-pull-cache.js';
