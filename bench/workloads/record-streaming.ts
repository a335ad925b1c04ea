import * as fs from 'node:fs';
import { startUpstream } from '../../tests/support/upstream';
import { BenchProject } from '../project';
import { atMost, sampleTable, type WorkloadReport } from '../report';
import { fullRotation, LoadWatch, paired, stats } from '../runner';

const REQUESTS_PER_RUN = 10;
const CHUNK_DELAY_MS = 20;

// Times, inside the test, what the caller experiences: from the call to the first chunk in hand.
const TEST_JS = `
const fs = require('node:fs');
const { default: OpenAI } = require('openai');

test('time to first chunk', async () => {
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: process.env.BENCH_BASE_URL, maxRetries: 0 });
  const firstChunkMs = [];
  for (let i = 0; i < ${REQUESTS_PER_RUN}; i++) {
    const start = performance.now();
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'request ' + i + ' one two three four five' }], stream: true });
    let first;
    for await (const chunk of stream) first ??= performance.now() - start;
    firstChunkMs.push(first);
  }
  fs.writeFileSync(process.env.BENCH_TIMINGS, JSON.stringify(firstChunkMs));
});
`;

/** Workload 4: the latency record mode adds before the caller sees a stream's first chunk. */
export async function recordStreaming(): Promise<WorkloadReport> {
  const project = new BenchProject('record-streaming');
  project.write('tests/first-chunk.test.js', TEST_JS);
  project.writeConfig('jest.config.js', { preset: 'jest-replay' });
  const timings = project.path('timings.json');
  const upstream = await startUpstream({ chunkDelayMs: CHUNK_DELAY_MS });
  const run = async (env: Record<string, string>) => {
    await project.runJest('jest.config.js', { BENCH_BASE_URL: upstream.baseURL, BENCH_TIMINGS: timings, ...env });
    return JSON.parse(fs.readFileSync(timings, 'utf8')) as number[];
  };
  const load = new LoadWatch();
  const rounds = fullRotation(2);
  try {
    const results = await paired(
      { 'live (no interception)': () => run({ JEST_REPLAY_MODE: 'live' }), record: () => run({ RECORD: '1' }) },
      { rounds, label: 'record-mode streaming', load },
    );
    const [live, record] = [results['live (no interception)'].flat(), results.record.flat()];
    const added = stats(record).median - stats(live).median;
    return {
      title: '7. Record-mode streaming',
      setup:
        `A streaming chat completion through the \`openai\` SDK from the loopback upstream, which sends one chunk every ${CHUNK_DELAY_MS} ms; ` +
        `time from the call to the first chunk in the caller's hands, measured in the test. ${REQUESTS_PER_RUN} requests per Jest run, ` +
        `each a sample; ${rounds} rounds.`,
      tables: [sampleTable('first chunk after, ms', { 'live (no interception)': live, record })],
      derived: [{ label: 'Added by record mode (median of record − median of live)', value: `${added.toFixed(2)} ms` }],
      targets: [atMost('record adds ≤ 5 ms', added, 5, `${added.toFixed(2)} ms`)],
      load: load.range,
    };
  } finally {
    await upstream.close();
  }
}
