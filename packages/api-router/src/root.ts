import {
  adminDatasetRouter,
  adminIdentityRouter,
  adminRecordRouter,
} from './router/admin/identity.js';
import { adminDeveloperKeyRouter } from './router/admin/developer-keys.js';
import { adminIdentityPoolRouter } from './router/admin/identity-pool.js';
import { adminPoolSettingsRouter } from './router/admin/pool-settings.js';
import { datasetRouter } from './router/dataset.js';
import { deviceRouter } from './router/device.js';
import { metaRouter } from './router/meta.js';
import { identityRouter } from './router/identity.js';
import { liveRouter } from './router/live.js';
import { recordRouter } from './router/record.js';
import { setupRouter } from './router/setup.js';
import { router } from './trpc.js';

export const appRouter = router({
  meta: metaRouter,
  identity: identityRouter,
  dataset: datasetRouter,
  record: recordRouter,
  device: deviceRouter,
  live: liveRouter,
  setup: setupRouter,
  admin: router({
    identityPool: { ...adminIdentityPoolRouter, ...adminPoolSettingsRouter },
    identity: adminIdentityRouter,
    dataset: adminDatasetRouter,
    record: adminRecordRouter,
    developerKey: adminDeveloperKeyRouter,
  }),
});

export type AppRouter = typeof appRouter;
