// `import globalTeardown from 'jest-replay/global-teardown'`: the function itself (see ./environment.mjs).
import teardown from '../dist/jest/global-teardown.js';

export const { globalTeardown } = teardown;
export default teardown.default;
