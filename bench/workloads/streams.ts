import { buildConversation } from '../conversation';
import { atMost, contenderTable, ratioTable, type WorkloadReport } from '../report';
import { fullRotation, LoadWatch, paired, pairRatios, stats } from '../runner';

const FILES = 10;
const STREAMS = 100;
/** Filler words of each question: the upstream echoes them one word per event, ~500 events a stream. */
const WORDS = 490;

/** Long streams: what each replayed stream event costs, against nock and Polly.js answering the same SSE bytes. */
export async function streams(): Promise<WorkloadReport> {
  const { project, env } = await buildConversation({
    name: 'streams',
    files: FILES,
    testsPerFile: STREAMS / FILES,
    calls: ['stream'],
    words: WORDS,
    polly: true,
  });
  const load = new LoadWatch();
  const rounds = fullRotation(3);
  const results = await paired(
    {
      nock: () => project.runJest('nock.config.js', env),
      'jest-replay': () => project.runJest('replay.config.js', env),
      'Polly.js': () => project.runJest('polly.config.js', env),
    },
    { rounds, label: 'streams', load },
  );
  const replay = results['jest-replay'];
  const over = (name: 'nock' | 'Polly.js') => ({
    label: `jest-replay / ${name}`,
    wall: pairRatios(replay, results[name], 'wall'),
    cpu: pairRatios(replay, results[name], 'cpu'),
  });
  const nock = over('nock');
  const cpu = stats(nock.cpu).median;
  return {
    title: '2. Streams',
    setup:
      `${STREAMS} streaming chat completions of ~500 events each (one per test, ${FILES} files), read through the \`openai\` SDK, ` +
      `${rounds} rounds. ` +
      'nock and Polly.js answer the same SSE bytes (nock from a table per test file).',
    tables: [contenderTable(results), ratioTable([nock, over('Polly.js')])],
    targets: [atMost("jest-replay's CPU ≤ 1.05 × nock's (median of the pairs)", cpu, 1.05, cpu.toFixed(3))],
    notes: [
      'jest-replay hands the caller each recorded event as its own read, as the server sent it (so an abort after the first event ' +
        'ends the stream where it ended live); nock and Polly hand over the whole body at once, so the SDK reads it in a few large ' +
        'pieces. Per event jest-replay makes the event text from its stored chunk and encodes it; the SDK then decodes and parses it.',
    ],
    load: load.range,
  };
}
