import { buildConversation, FIVE_CALLS } from '../conversation';
import { atMost, contenderTable, ratioTable, type WorkloadReport } from '../report';
import { fullRotation, LoadWatch, paired, pairRatios, stats } from '../runner';

const FILES = 10;
const TESTS = 200;

/** The main workload: a whole suite replayed by jest-replay, against a bare fetch stub, nock and Polly.js. */
export async function mainSuite(): Promise<WorkloadReport> {
  const { project, env, recordingFiles } = await buildConversation({
    name: 'main-suite',
    files: FILES,
    testsPerFile: TESTS / FILES,
    calls: FIVE_CALLS,
    polly: true,
  });
  const load = new LoadWatch();
  const contenders = {
    'fetch stub': () => project.runJest('stub.config.js', env),
    'fetch stub + AsyncLocalStorage': () => project.runJest('stub-als.config.js', env),
    nock: () => project.runJest('nock.config.js', env),
    'jest-replay': () => project.runJest('replay.config.js', env),
    'jest-replay, stub answers': () => project.runJest('replay-stub.config.js', env),
    'Polly.js': () => project.runJest('polly.config.js', env),
  };
  const rounds = fullRotation(Object.keys(contenders).length);
  const results = await paired(contenders, { rounds, label: 'main suite', load });
  const replay = results['jest-replay'];
  const over = (name: keyof typeof results) => ({
    label: `jest-replay / ${name}`,
    wall: pairRatios(replay, results[name], 'wall'),
    cpu: pairRatios(replay, results[name], 'cpu'),
  });
  const [stub, nock, polly] = [over('fetch stub'), over('nock'), over('Polly.js')];
  const withStorage = results['fetch stub + AsyncLocalStorage'];
  const storage = {
    label: 'fetch stub + AsyncLocalStorage / fetch stub',
    wall: pairRatios(withStorage, results['fetch stub'], 'wall'),
    cpu: pairRatios(withStorage, results['fetch stub'], 'cpu'),
  };
  // Where the cost over the stub lies: in jest-replay around the requests, or in answering them from the recordings.
  const stubAnswers = results['jest-replay, stub answers'];
  const around = {
    label: 'jest-replay, stub answers / fetch stub',
    wall: pairRatios(stubAnswers, results['fetch stub'], 'wall'),
    cpu: pairRatios(stubAnswers, results['fetch stub'], 'cpu'),
  };
  const answering = {
    label: 'jest-replay / jest-replay, stub answers',
    wall: pairRatios(replay, stubAnswers, 'wall'),
    cpu: pairRatios(replay, stubAnswers, 'cpu'),
  };
  const median = (samples: number[]) => stats(samples).median;
  return {
    title: '1. Main suite: replay against the floors',
    setup:
      `${TESTS} tests in ${FILES} files, each making ${FIVE_CALLS.length} \`openai\` SDK calls ` +
      `(3 streaming chat completions of ~50 events, 1 plain chat completion, 1 embeddings call): ` +
      `${recordingFiles} recordings, ${rounds} rounds. The floors answer the same bytes from a table ` +
      "per test file (each file loads only its own): the fetch stub replaces the SDK's `fetch` with a function that hands over a " +
      '`Response` whose body is read one recorded event at a time, as fetch reads a stream the server wrote event by event (no ' +
      'interception library, no file read per request: the least any replay can cost); nock answers from interceptors defined ' +
      'in `beforeEach`; Polly.js replays its own HAR files.',
    tables: [contenderTable(results), ratioTable([stub, nock, polly, storage, around, answering])],
    targets: [
      atMost('jest-replay / fetch stub ≤ 1.10, wall (median of the pairs)', median(stub.wall), 1.1, median(stub.wall).toFixed(3)),
      atMost('jest-replay / fetch stub ≤ 1.10, CPU (median of the pairs)', median(stub.cpu), 1.1, median(stub.cpu).toFixed(3)),
    ],
    notes: [
      '`jest-replay, stub answers` is the jest-replay preset with the stub answering each request before it reaches ' +
        'jest-replay: its environment, interception, scopes and closing summary, without its answers. Its ratio to the stub is ' +
        "what jest-replay costs around the requests; the ratio of jest-replay to it is what answering from the recordings costs. " +
        'Per request that is: a `Request` made of the call (the stub takes its arguments as they come), the key (the body ' +
        "normalized and hashed) and the test folder's listing, the recording's file read and parsed (llama-stack's pretty-printed " +
        'JSON, about 22 MB for these 1,000 recordings), and each stream event written out again from its parsed chunk. The ' +
        "test context's `fetch` hands requests straight to jest-replay, and the `fetch` classes carry no proxies: " +
        '@mswjs/interceptors wraps `Headers`, `Request` and `Response` for `node:http` clients, which jest-replay undoes, as ' +
        'every fetch client paid for them.',
      "Scope tracking: jest-replay keeps each request with the test that started it (across `test.concurrent` and timers that outlive " +
        "their test) in an AsyncLocalStorage. Jest 30 runs every test in an AsyncLocalStorage of its own (jest-circus's test execution " +
        "context), so Node's promise hooks run in every contender; one more storage adds a property per promise. " +
        "`fetch stub + AsyncLocalStorage` measures that alone: its ratio to the stub is the cost.",
      'nock answers every request after a `setImmediate` and two `setTimeout(…, 0)` (each at least 1 ms in Node): its wall time is ' +
        'mostly waiting, which is why it is slower than jest-replay on the clock by much more than in CPU time. nock and Polly are ' +
        "also required by a setup file, so each test file's module registry loads them again; jest-replay's interception lives in the " +
        'test environment, loaded once per process.',
    ],
    load: load.range,
  };
}
