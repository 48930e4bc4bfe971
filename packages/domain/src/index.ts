export * from './apply-patches.js';
export * from './errors.js';
export * from './limits.js';
export * from './merge.js';
export * from './sync-window.js';
