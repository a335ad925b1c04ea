// `import ReplayReporter from 'jest-replay/reporter'`: the class itself (see ./environment.mjs).
import reporter from '../dist/jest/reporter.js';

export const { ReplayReporter } = reporter;
export default reporter.default;
