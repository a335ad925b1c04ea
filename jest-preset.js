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
  // every one of them, on every run). The JSON files, and the test folders (`<name>-<8 hex>`) that hold nothing else,
  // so tests and modules elsewhere in a folder of that name are still found. Jest adds a project's own
  // modulePathIgnorePatterns to these, it does not replace them.
  modulePathIgnorePatterns: ['<rootDir>/recordings/.+\\.json$', '<rootDir>/recordings/.+-[0-9a-f]{8}$'],
  // Jest's own crawler skips an ignored folder's contents; find(1), its default on Linux and macOS, lists them all first.
  haste: { forceNodeFilesystemAPI: true },
};
