export { ReplayEnvironment as default, ReplayEnvironment, withReplay } from '../dist/jest/environment.js';
