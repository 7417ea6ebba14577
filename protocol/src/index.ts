export * from './version.js';
export * from './errors.js';
export * from './encoded.js';
export * from './api.js';
export * from './envelope.js';
export * from './encoded-file.js';
export * from './audit.js';
export * from './releases.js';
