export * from './format.js';
export * from './load.js';
export * from './engine.js';
