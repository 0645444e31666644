// The typed face of the native layer.
export * from './socket.js';
export * from './eventfd.js';
export * from './eventfd-set.js';
export * from './memory.js';
export * from './watcher.js';
export * from './errors.js';
