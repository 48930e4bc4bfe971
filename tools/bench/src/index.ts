/** The bench's reusable parts (the entry point is main.ts: `npm run bench`). */
export {
  buildRequest,
  parseResponse,
  RawHttpConnection,
  runClosedLoop,
  type LoadDevice,
  type RawResponse,
} from './http-load.js';
export { median, percentile, summarise, type LatencySummary } from './stats.js';
export { summariseProfile } from './profile-summary.js';
