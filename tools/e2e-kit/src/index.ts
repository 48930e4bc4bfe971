export * from './browser.js';
export * from './processes.js';
