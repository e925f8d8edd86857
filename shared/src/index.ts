export * from './version.js';
export * from './errors.js';
export * from './envelope.js';
export * from './protocol/accounts.js';
export * from './protocol/system.js';
export * from './protocol/events.js';
export * from './protocol/http.js';
