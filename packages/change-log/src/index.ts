export * from './consumer.js';
export * from './store.js';
