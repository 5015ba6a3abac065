export * from './fleet.repository.js';
export * from './queue-depth.js';
