// `preset: 'jest-replay'`: the recording environment and the global setup that resolves the mode.
// Jest replaces (does not merge) these keys when a project sets its own: see the README to compose them.
module.exports = {
  testEnvironment: require.resolve('./dist/jest/environment.js'),
  globalSetup: require.resolve('./dist/jest/global-setup.js'),
};
