export { globalTeardown as default, globalTeardown } from '../dist/jest/global-teardown.js';
