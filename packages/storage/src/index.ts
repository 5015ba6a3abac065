export { LocalStorage } from './local-storage.adapter.js';
