/** Node-only parts of the SDK (they use the file system). */
export { fileStore } from './file-store.js';
export type { FileStoreOptions } from './file-store.js';
