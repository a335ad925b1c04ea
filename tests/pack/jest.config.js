// `npm run test:pack`: the packed tarball installed into fresh projects with npm, pnpm and Yarn (Plug'n'Play), each
// recording and replaying through the preset. Kept out of `npm test`: it installs Jest three times (a minute or two).
module.exports = {
  rootDir: '../..',
  displayName: 'pack',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/pack/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testTimeout: 600_000,
};
