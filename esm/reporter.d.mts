export { ReplayReporter as default, ReplayReporter } from '../dist/jest/reporter.js';
