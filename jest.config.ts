import * as os from 'node:os';
import type { Config } from 'jest';

const tsJest: Config['transform'] = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] };

const config: Config = {
  // Integration tests mostly wait on the child Jest runs they start: more workers than cores keeps the cores busy.
  // A number, as Jest reads a percentage above 100% as that many workers.
  maxWorkers: Math.ceil(os.availableParallelism() * 1.5),
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/tests/unit/**/*.test.ts'],
      transform: tsJest,
    },
    {
      // The test support itself: the fake upstream, the llama-stack loader check.
      displayName: 'support',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/tests/support/**/*.test.ts'],
      transform: tsJest,
    },
    {
      // Each test here runs Jest itself, as a child process, on a small fixture project.
      displayName: 'integration',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts'],
      transform: tsJest,
      setupFilesAfterEnv: ['<rootDir>/tests/support/long-timeout.ts'],
    },
    {
      // The quick-start demo: the preset as users get it, replaying committed recordings offline.
      displayName: 'demo',
      preset: './jest-preset.js',
      testMatch: ['<rootDir>/demo/**/*.test.ts'],
      transform: tsJest,
      moduleNameMapper: { '^jest-replay$': '<rootDir>/dist/index.js' },
    },
  ],
};

export default config;
