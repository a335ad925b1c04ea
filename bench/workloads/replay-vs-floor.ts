import { buildConversation, FIVE_CALLS } from '../conversation';
import { ratio, type WorkloadReport } from '../report';
import { alternate } from '../runner';

/** Workload 1: a whole suite replayed by jest-replay, against nock (the floor), a bare fetch stub and Polly.js. */
export async function replayVsFloor(rounds: number): Promise<WorkloadReport> {
  const tests = 200;
  const files = 10;
  const { project, env, recordingFiles } = await buildConversation({
    name: 'replay-vs-floor',
    files,
    testsPerFile: tests / files,
    calls: FIVE_CALLS,
    polly: true,
  });
  const results = await alternate(
    {
      'a. nock (floor)': () => project.runJest('floor.config.js', env),
      "a'. fetch stub": () => project.runJest('stub.config.js', env),
      'b. jest-replay': () => project.runJest('replay.config.js', env),
      'c. Polly.js': () => project.runJest('polly.config.js', env),
    },
    { rounds, label: 'replay vs floor' },
  );
  const { 'a. nock (floor)': floor, "a'. fetch stub": stub, 'b. jest-replay': replay, 'c. Polly.js': polly } = results;
  return {
    title: '1. Replay vs floor',
    setup:
      `${tests} tests in ${files} files, each making ${FIVE_CALLS.length} \`openai\` SDK calls (3 streaming chat completions of ~50 chunks, ` +
      `1 plain chat completion, 1 embeddings call): ${recordingFiles} recordings. Whole-suite wall time. ` +
      "a' is not asked for: a hand-written `fetch` replacement answering from the same table, with no interception library, " +
      'to show what the floor itself costs.',
    unit: 'ms',
    results,
    derived: [
      { label: 'b/a (jest-replay / nock)', value: ratio(replay, floor).toFixed(3) },
      { label: "b/a' (jest-replay / fetch stub)", value: ratio(replay, stub).toFixed(3) },
      { label: 'b/c (jest-replay / Polly.js)', value: ratio(replay, polly).toFixed(3) },
    ],
    targets: [
      { text: 'b/a ≤ 1.10', holds: ratio(replay, floor) <= 1.1 },
      { text: 'b faster than c', holds: replay.median < polly.median },
    ],
    notes: [
      "nock, like Polly, is required by a setup file, so it is loaded again in every test file's module registry; " +
        "jest-replay's interception lives in the test environment, loaded once per worker.",
      "Over the bare stub, jest-replay spends (CPU profile) on Node 20's AsyncLocalStorage hook, which runs on every promise " +
        'while a test runs (it keeps each request with the test that made it), on giving every stream event its own read (so a ' +
        "consumer sees chunks arrive one by one; the stub hands over the whole body at once), and in @mswjs/interceptors' request handling.",
    ],
  };
}
