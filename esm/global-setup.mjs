// `import globalSetup from 'jest-replay/global-setup'`: the function itself (see ./environment.mjs).
import setup from '../dist/jest/global-setup.js';

export const { globalSetup } = setup;
export default setup.default;
