import {
  adminDatasetRouter,
  adminIdentityRouter,
  adminRecordRouter,
} from './router/admin/identity.js';
import { adminIdentityPoolRouter } from './router/admin/identity-pool.js';
import { datasetRouter } from './router/dataset.js';
import { metaRouter } from './router/meta.js';
import { identityRouter } from './router/identity.js';
import { liveRouter } from './router/live.js';
import { recordRouter } from './router/record.js';
import { router } from './trpc.js';

export const appRouter = router({
  meta: metaRouter,
  identity: identityRouter,
  dataset: datasetRouter,
  record: recordRouter,
  live: liveRouter,
  admin: router({
    identityPool: adminIdentityPoolRouter,
    identity: adminIdentityRouter,
    dataset: adminDatasetRouter,
    record: adminRecordRouter,
  }),
});

export type AppRouter = typeof appRouter;
