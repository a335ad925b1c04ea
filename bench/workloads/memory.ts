import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bareNode, BenchProject } from '../project';
import { atMost, contenderTable, spread, type WorkloadReport } from '../report';
import { LoadWatch, paired, pairDifferences, stats } from '../runner';

const MiB = 1024 * 1024;
const BODY_BYTES = 200 * MiB;
const ROUNDS = 5;
/** Record's peak RSS before replay was made incremental (BENCHMARKS.md of 2026-12-02): it must not grow. */
const RECORD_BEFORE = 388;
const CONTENT_PER_CHUNK = 64 * 1024;

// One streamed response of BODY_BYTES, read chunk by chunk without keeping it (with --runInBand, Jest's
// only process: the recorder and the replayer run there too).
const TEST_JS = `
const { default: OpenAI } = require('openai');

test('one huge stream', async () => {
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: process.env.BENCH_BASE_URL, maxRetries: 0, timeout: 600000 });
  const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'everything' }], stream: true });
  let characters = 0;
  for await (const chunk of stream) characters += (chunk.choices[0]?.delta?.content ?? '').length;
  expect(characters).toBe(Number(process.env.BENCH_EXPECTED_CHARACTERS));
});
`;

/** An upstream with one route: a chat-completion stream of `BODY_BYTES`, written as the socket drains. */
function startHugeStream(): Promise<{ baseURL: string; characters: number; close(): Promise<void> }> {
  const content = 'x'.repeat(CONTENT_PER_CHUNK);
  const event = `data: ${JSON.stringify({ id: 'chatcmpl-big', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] })}\n\n`;
  const events = Math.ceil(BODY_BYTES / event.length);
  const server = http.createServer(async (request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let n = 0; n < events; n++) {
      if (!response.write(event)) await new Promise((resolve) => response.once('drain', resolve));
    }
    response.end('data: [DONE]\n\n');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        baseURL: `http://127.0.0.1:${port}/v1`,
        characters: events * CONTENT_PER_CHUNK,
        close: () => new Promise((done) => server.close(() => done())),
      });
    }),
  );
}

/** Peak RSS while recording and while replaying one 200 MiB streaming response, against a bare Node process. */
export async function memory(): Promise<WorkloadReport> {
  const project = new BenchProject('memory');
  project.write('tests/huge.test.js', TEST_JS);
  project.writeConfig('jest.config.js', { preset: 'jest-replay', testTimeout: 600_000 });
  const upstream = await startHugeStream();
  const env = { BENCH_BASE_URL: upstream.baseURL, BENCH_EXPECTED_CHARACTERS: String(upstream.characters) };
  const load = new LoadWatch();
  try {
    // Replay needs the recording first: record, then replay, in every round (no warm-up).
    const results = await paired(
      {
        'bare Node process': bareNode,
        'live (no interception)': () => project.runJest('jest.config.js', { ...env, JEST_REPLAY_MODE: 'live' }),
        record: () => project.runJest('jest.config.js', { ...env, RECORD: '1' }),
        replay: () => project.runJest('jest.config.js', env),
      },
      { rounds: ROUNDS, warmup: 0, label: 'memory', rotate: false, load },
    );
    const body = BODY_BYTES / MiB;
    const bare = results['bare Node process'];
    const aboveBare = stats(pairDifferences(results.replay, bare, 'rss'));
    const record = stats(results.record.map((s) => s.rss));
    const fileMiB = recordingSize(project.path('recordings')) / MiB;
    const bodies = (aboveBare.median / body).toFixed(2);
    return {
      title: '4. Memory: one 200 MiB stream',
      setup:
        `One streaming chat completion of ${body} MiB (SSE bytes on the wire, ${CONTENT_PER_CHUNK / 1024} KiB of content per event), ` +
        "read event by event by the caller through the `openai` SDK. Peak RSS of the Jest process, all of Jest included. Every round " +
        `runs a bare Node process, live, record, replay in that order (replay needs the recording), with no warm-up; ${ROUNDS} rounds: ` +
        "record's peak moves by about ±5% from run to run (with when the garbage collector runs), hence the median of the rounds.",
      tables: [contenderTable(results)],
      derived: [
        { label: 'Recording file', value: `${fileMiB.toFixed(0)} MiB` },
        { label: 'Replay peak above the bare Node process, MiB (median (min–max) of the pairs)', value: spread(aboveBare) },
        { label: 'The same, in bodies', value: `${bodies} × body` },
      ],
      targets: [
        atMost('replay peaks ≤ 1.5 × body above a bare Node process', aboveBare.median, 1.5 * body, `${bodies} × body`),
        atMost(`record peaks ≤ ${RECORD_BEFORE} MiB (its peak before this change)`, record.median, RECORD_BEFORE, `${record.median.toFixed(1)} MiB`),
      ],
      notes: [
        'Record holds a response in memory up to 16 MiB; the rest of a larger one goes to a temporary file (encrypted with a key ' +
          'only the process knows) as it arrives, and is read back 64 KiB at a time each time the stored chunks are made from it ' +
          '(deciding how the stream is stored, secret scan, file write), so a huge stream is held neither as bytes nor as a list. ' +
          'The file is deleted once the recording is written.',
        'Replay reads a large recording incrementally: a first pass checks the file and keeps everything but the stream\'s chunks; the ' +
          'chunks are read again, a piece of the file at a time, as the caller reads the stream, and each is dropped once sent.',
      ],
      load: load.range,
    };
  } finally {
    await upstream.close();
  }
}

function recordingSize(folder: string): number {
  const files = (fs.readdirSync(folder, { recursive: true }) as string[]).filter((name) => name.endsWith('.json'));
  return files.reduce((total, name) => total + fs.statSync(`${folder}/${name}`).size, 0);
}
