// `preset: 'jest-replay'`: the recording environment, the global setup that resolves the mode, the
// reporter that ends the run with what was replayed, recorded, missed and left unused, and the global
// teardown that ends a record run in its place when a config replaced the reporters.
// Jest replaces (does not merge) these keys when a project sets its own: see the README to compose them.
module.exports = {
  testEnvironment: require.resolve('./dist/jest/environment.js'),
  globalSetup: require.resolve('./dist/jest/global-setup.js'),
  globalTeardown: require.resolve('./dist/jest/global-teardown.js'),
  reporters: ['default', require.resolve('./dist/jest/reporter.js')],
  // The recordings in the default folder are no modules: Jest's file map leaves them out (it would stat and keep
  // every one of them, on every run). JSON files only, so tests and modules of a folder of that name are still found.
  // Jest adds a project's own modulePathIgnorePatterns to these, it does not replace them.
  modulePathIgnorePatterns: ['<rootDir>/recordings/.+\\.json$'],
};
