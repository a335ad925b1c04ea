import * as path from 'node:path';
import { runnerPackageDir, runnersNodeEnvironment } from '../../src/jest/node-environment';

describe('the node environment jest-replay extends', () => {
  test("is looked up from the loaded jest-runner's package folder", () => {
    const runner = path.join('/app', 'node_modules', 'jest-runner', 'build', 'testWorker.js');
    expect(runnerPackageDir(['/app/src/x.js', runner])).toBe(path.join('/app', 'node_modules', 'jest-runner'));
    expect(runnerPackageDir(['/app/src/jest-runner.js'])).toBeUndefined();
  });

  test('is the running Jest 30 one in this project', () => {
    expect(runnersNodeEnvironment()).toBe(require('jest-environment-node').TestEnvironment);
  });
});
