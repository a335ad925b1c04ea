// `import ReplayEnvironment from 'jest-replay/environment'`: the class itself. Node gives an ES module the whole
// `module.exports` of a CommonJS one as its default export, whose `.default` the class is.
import environment from '../dist/jest/environment.js';

export const { ReplayEnvironment, withReplay } = environment;
export default environment.default;
