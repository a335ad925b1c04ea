import { cliCommand, configArgument, CONFIG_ARGUMENT_VARIABLE, forProject, runCommand } from '../../src/jest/run-command';

describe('runCommand: the re-record command starts Jest as this run was started', () => {
  const run = (env: NodeJS.ProcessEnv, args: string[] = [], execArgv: string[] = []) => runCommand({ env, execArgv, args });

  it.each([
    [undefined, 'npx jest'],
    ['npm/11.6.2 node/v20.19.0 linux x64 workspaces/false', 'npx jest'],
    ['pnpm/9.12.0 npm/? node/v20.19.0 linux x64', 'pnpm exec jest'],
    ['yarn/1.22.22 npm/? node/v20.19.0 linux x64', 'yarn jest'],
    ['yarn/4.5.0 npm/? node/v20.19.0 linux x64', 'yarn jest'],
    ['bun/1.1.30 npm/? node/v22.6.0 linux x64', 'bunx jest'],
  ])('user agent %j runs %j', (agent, command) => {
    expect(run({ npm_config_user_agent: agent })).toBe(command);
  });

  it('native ESM: NODE_OPTIONS as set, or the flag node was started with', () => {
    expect(run({ NODE_OPTIONS: '--experimental-vm-modules' })).toBe('NODE_OPTIONS=--experimental-vm-modules npx jest');
    expect(run({ NODE_OPTIONS: '--max-old-space-size=4096 --experimental-vm-modules' })).toBe(
      "NODE_OPTIONS='--max-old-space-size=4096 --experimental-vm-modules' npx jest",
    );
    expect(run({}, [], ['--experimental-vm-modules', '--no-warnings'])).toBe('NODE_OPTIONS=--experimental-vm-modules npx jest');
    expect(run({ NODE_OPTIONS: '--max-old-space-size=4096' })).toBe('npx jest');
  });

  it.each([
    [['--config', 'jest.e2e.config.js'], 'npx jest --config jest.e2e.config.js'],
    [['--config=config/jest config.js', '--ci'], "npx jest --config 'config/jest config.js'"],
    [['-c', 'e2e.json'], 'npx jest --config e2e.json'],
    [['--ci', 'tests/a.test.ts'], 'npx jest'],
  ])('Jest arguments %j keep their config: %j', (args, command) => {
    expect(run({}, args)).toBe(command);
  });

  it("selects the test's project when the run has several and it has a name", () => {
    expect(forProject('npx jest', { name: 'api', several: true })).toBe('npx jest --selectProjects api');
    expect(forProject('npx jest', { name: 'my api', several: true })).toBe("npx jest --selectProjects 'my api'");
    expect(forProject('npx jest', { name: 'api', several: false })).toBe('npx jest');
    expect(forProject('npx jest', { several: true })).toBe('npx jest');
  });
});

describe("cliCommand: jest-replay's command line, started as Jest was", () => {
  it('with the same runner, the same --config and the project when the run has several', () => {
    const env = { npm_config_user_agent: 'yarn/4.5.0 npm/? node/v20.19.0 linux x64', [CONFIG_ARGUMENT_VARIABLE]: 'config/jest e2e.js' };
    expect(cliCommand(env, { name: 'api', several: true })).toEqual({ runner: 'yarn jest-replay', options: " --config 'config/jest e2e.js' --project api" });
    expect(cliCommand({}, { name: 'api', several: false })).toEqual({ runner: 'npx jest-replay', options: '' });
  });

  it('global setup hands the config argument on as given', () => {
    expect(configArgument(['--ci', '-c', 'e2e.json'])).toBe('e2e.json');
    expect(configArgument(['--ci'])).toBeUndefined();
  });
});
