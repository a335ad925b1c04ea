import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, type JestRun, statusOf } from '../support/fixture';
import { startUpstream, type Upstream } from '../support/upstream';

/**
 * The client libraries teams call LLMs through (the Vercel AI SDK, LangChain.js, the OpenAI Agents
 * SDK, Anthropic tool use, openai), with their default retry policies: recorded against the loopback
 * upstream, replayed with it stopped, and missed with a fresh upstream listening, which must receive
 * nothing. Beside them, a test file leaves requests behind that fire after it has ended.
 */
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const TESTS = [
  'ai sdk generateText (Responses API)',
  'ai sdk streamText (Responses API)',
  'ai sdk generateText (.chat())',
  'ai sdk streamText (.chat())',
  'ai sdk embed',
  'langchain invoke',
  'langchain stream',
  'langchain embeddings',
  'openai agents run with a tool (tracing off)',
  'anthropic tool use',
  'openai chat',
];
const OTHERS = ['leaves requests behind', 'outlasts the requests another file left behind'];
const MISS_HEADLINE = 'jest-replay: no recording for this request (mode: replay).';
const allPassed = (names: string[]) => Object.fromEntries(names.map((name) => [name, 'passed']));
const late = (upstream: Upstream) => upstream.requests.filter((r) => r.body.includes('late '));

describe('client libraries, recorded, replayed offline, and missed', () => {
  const project = new FixtureProject(
    'frameworks',
    {
      'tests/frameworks.test.js': fixture('frameworks.test.js'),
      'tests/late.test.js': fixture('late.test.js'),
      'tests/outlast.test.js': fixture('outlast.test.js'),
      // The file that leaves requests behind starts first, so the run lasts until they have fired; with LATE_LAST
      // it runs last, and they fire after the run's end, when no other test file will ever start in the process.
      'sequencer.js': `const Sequencer = require('@jest/test-sequencer').default;
const order = process.env.LATE_LAST ? ['frameworks', 'outlast', 'late'] : ['late', 'frameworks', 'outlast'];
const rank = (test) => order.findIndex((name) => test.path.includes(name));
module.exports = class extends Sequencer { sort(tests) { return [...tests].sort((a, b) => rank(a) - rank(b)); } };
`,
    },
    { testSequencer: '<rootDir>/sequencer.js' },
  );
  let recording: Upstream;
  let record: JestRun;
  let replay: JestRun;
  let missing: Upstream;
  let miss: JestRun;
  /** How the left-over requests were answered, in each run (see fixtures/late.test.js). */
  const answers: Record<string, string[]> = {};
  const takeAnswers = () => {
    const file = path.join(project.dir, 'late-answers.txt');
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').sort() : [];
    fs.rmSync(file, { force: true });
    return lines;
  };

  beforeAll(async () => {
    recording = await startUpstream();
    try {
      // In band, the process waits for the left-over timer: its requests have been made when the run returns.
      record = await project.run({ RECORD: '1', UPSTREAM: recording.url, LATE_LAST: '1' }, ['--runInBand']);
      answers.record = takeAnswers();
    } finally {
      await recording.close();
    }
    replay = await project.run({ UPSTREAM: recording.url, CI: 'true' }, ['--maxWorkers=2']);
    answers.replay = takeAnswers();
    missing = await startUpstream();
    try {
      // In band: a retry left pending would hold Jest's own process, which says so after a second ("did not exit");
      // a worker's slow exit on a loaded machine would be reported as a leak too ("failed to exit gracefully").
      miss = await project.run({ UPSTREAM: missing.url, MISS: '1', CI: 'true' }, ['--runInBand']);
      answers.miss = takeAnswers();
    } finally {
      await missing.close();
    }
  });
  afterAll(() => project.remove());

  test('every client records against the upstream, with no credential in the files', () => {
    expect(statusOf(record)).toEqual(allPassed([...TESTS, ...OTHERS]));
    expect(recording.requests.length - late(recording).length).toBe(Object.keys(project.snapshot()).length);
    for (const text of Object.values(project.snapshot())) expect(text).not.toContain('SECRET');
  });

  test('every client replays with the upstream stopped', () => {
    expect(statusOf(replay)).toEqual(allPassed([...TESTS, ...OTHERS]));
    expect(replay.code).toBe(0);
  });

  test('a miss fails each client at its first request: no retry, nothing sent, jest-replay first', () => {
    expect(statusOf(miss)).toEqual({ ...Object.fromEntries(TESTS.map((name) => [name, 'failed'])), ...allPassed(OTHERS) });
    expect(missing.requests).toEqual([]);
    // No retry left pending: Jest's workers end when the run does.
    expect(miss.output).not.toMatch(/did not exit|failed to exit gracefully/);
    // One refused request per test: a retry would be a second miss of the same test.
    expect(miss.stderr).toContain(`jest-replay: replay mode — 0 replayed, 0 recorded, ${TESTS.length} missing`);
    for (const name of TESTS) {
      const result = miss.tests.find((t) => t.fullName === name)!;
      expect([name, result.failureMessages[0].split('\n')[0]]).toEqual([name, MISS_HEADLINE]);
      // A generous bound: the AI SDK's back-off took 6 s, LangChain's ran into the 5 s timeout.
      expect([name, (result as { duration?: number }).duration]).toEqual([name, expect.any(Number)]);
      expect((result as { duration?: number }).duration).toBeLessThan(2500);
    }
  });

  test('requests fired after their test file ended never reach the upstream: in record mode after the run, in replay during it', () => {
    expect(late(recording)).toEqual([]);
    expect(late(missing)).toEqual([]);
    // They were made, and refused at once.
    const refused = ['fetch 400', 'http 400'];
    expect(answers).toEqual({ record: refused, replay: refused, miss: refused });
  });

  test('the summary names each request refused after its test file ended, with the test that started it', () => {
    const port = new URL(missing.url).port;
    for (const url of [`${missing.url}/v1/chat/completions`, `http://late.example.com:${port}/v1/chat/completions`]) {
      expect(miss.stderr).toContain(
        `  refused after its test file ended: POST ${url} (started by tests/late.test.js::leaves requests behind)`,
      );
    }
  });
});
