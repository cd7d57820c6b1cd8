/** Real control planes for tests and the demo (an edge: starts processes, writes files). */
export * from './binaries.js';
export * from './testbed.js';
export * from './node/index.js';
