/**
 * Protocol constants: the shapes and limits of Cognito Sync (spec §4.1, §7.10) that every
 * surface (tRPC, the AWS-compatible REST binding, the client SDK) must agree on.
 */
export const IDENTITY_POOL_ID_PATTERN = /^[\w-]+:[0-9a-f-]+$/;
export const IDENTITY_ID_PATTERN = /^[\w-]+:[0-9a-f-]+$/;
export const DATASET_NAME_PATTERN = /^[a-zA-Z0-9_.:-]+$/;

export const MAX_ID_LENGTH = 55;
export const MAX_DATASET_NAME_LENGTH = 128;
export const MAX_RECORD_KEY_LENGTH = 1024;
/**
 * UTF-8 bytes of a record key: keys are indexed, and PostgreSQL cannot index entries over
 * ~2.7 KB, which 1,024 three-byte characters would exceed (official clients allow 128 bytes).
 */
export const MAX_RECORD_KEY_BYTES = 2048;
export const MAX_RECORD_VALUE_LENGTH = 1_048_575;
export const MAX_DEVICE_ID_LENGTH = 256;
/** Latest timestamp accepted (epoch ms of 9999-12-31T23:59:59.999Z): later ones cannot be stored. */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;

/** Datasets one identity may hold, merged datasets included. */
export const MAX_DATASETS_PER_IDENTITY = 20;
/** Live (non-tombstone) records in one dataset. */
export const MAX_RECORDS_PER_DATASET = 1024;
/** UTF-8 bytes of keys plus values of the live records of one dataset. */
export const MAX_DATASET_BYTES = 1_048_576;
/** Patches in one UpdateRecords call: enough to remove every record and write a new full set. */
export const MAX_PATCHES_PER_UPDATE = 2 * MAX_RECORDS_PER_DATASET;

/** Page sizes for ListRecords / ListDatasets / list endpoints (spec §15.1 #6: default = cap). */
export const DEFAULT_MAX_RESULTS = 1024;
export const MAX_MAX_RESULTS = 1024;
