/** Test helpers other projects' suites share (`@tandem/streams/testing`). */
export { perDatasetSequences, runId, sampleRecords, unusedPort } from './fixtures.js';
export { poolWithIdentities, waitFor, type WriteFn } from './writes.js';
