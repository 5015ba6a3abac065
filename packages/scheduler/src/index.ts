export * from './fleet.repository.js';
