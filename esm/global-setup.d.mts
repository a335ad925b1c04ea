export { globalSetup as default, globalSetup } from '../dist/jest/global-setup.js';
