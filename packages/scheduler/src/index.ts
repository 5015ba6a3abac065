export * from './dispatcher.js';
export * from './fair-queue.js';
export * from './fleet.repository.js';
export * from './queue-depth.js';
export * from './queue-estimate.js';
export * from './queue-view.js';
