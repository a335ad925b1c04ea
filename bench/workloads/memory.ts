import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BenchProject } from '../project';
import type { WorkloadReport } from '../report';
import { alternate } from '../runner';

const MB = 1024 * 1024;
const BODY_BYTES = 200 * MB;
const CONTENT_PER_CHUNK = 64 * 1024;

// One streamed response of BODY_BYTES, read chunk by chunk without keeping it; then the peak RSS of
// the process (with --runInBand, Jest's only process: the recorder and the replayer run there too).
const TEST_JS = `
const fs = require('node:fs');
const { default: OpenAI } = require('openai');

test('one huge stream', async () => {
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: process.env.BENCH_BASE_URL, maxRetries: 0, timeout: 600000 });
  const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'everything' }], stream: true });
  let characters = 0;
  for await (const chunk of stream) characters += (chunk.choices[0]?.delta?.content ?? '').length;
  expect(characters).toBe(Number(process.env.BENCH_EXPECTED_CHARACTERS));
});
afterAll(() => fs.writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS * 1024)));
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

/** Workload 5: peak RSS while recording and while replaying one 200 MB streaming response. */
export async function memory(rounds: number): Promise<WorkloadReport> {
  const project = new BenchProject('memory');
  project.write('tests/huge.test.js', TEST_JS);
  project.writeConfig('jest.config.js', { preset: 'jest-replay', testTimeout: 600_000 });
  const rssFile = project.path('rss.txt');
  const upstream = await startHugeStream();
  const peakMb = async (env: Record<string, string>) => {
    await project.runJest('jest.config.js', { BENCH_BASE_URL: upstream.baseURL, BENCH_EXPECTED_CHARACTERS: String(upstream.characters), BENCH_RSS_FILE: rssFile, ...env });
    return Number(fs.readFileSync(rssFile, 'utf8')) / MB;
  };
  try {
    // Replay needs the recording first: record, then replay, in every round (no warm-up).
    const results = await alternate(
      { 'a. live (no interception)': () => peakMb({ JEST_REPLAY_MODE: 'live' }), 'b. record': () => peakMb({ RECORD: '1' }), 'c. replay': () => peakMb({}) },
      { rounds, warmup: 0, label: 'memory', rotate: false },
    );
    const limit = (3 * BODY_BYTES) / MB;
    const fileMb = recordingSize(project.path('recordings')) / MB;
    return {
      title: '5. Memory',
      setup:
        `One streaming chat completion of ${BODY_BYTES / MB} MB (SSE bytes on the wire, ${CONTENT_PER_CHUNK / 1024} KiB of content per chunk), ` +
        `read chunk by chunk by the caller through the \`openai\` SDK. Peak RSS of the Jest process (\`process.resourceUsage().maxRSS\`), all of Jest included. ` +
        'Every round runs live, record, replay in that order (replay needs the recording), with no warm-up: memory does not need one.',
      unit: 'MB',
      results,
      derived: [
        { label: 'Recording file', value: `${fileMb.toFixed(0)} MB` },
        { label: 'Record over live', value: `${(results['b. record'].median - results['a. live (no interception)'].median).toFixed(0)} MB` },
        { label: 'Replay over live', value: `${(results['c. replay'].median - results['a. live (no interception)'].median).toFixed(0)} MB` },
      ],
      targets: [
        { text: `record peak RSS < 3 × body (${limit} MB)`, holds: results['b. record'].max < limit },
        { text: `replay peak RSS < 3 × body (${limit} MB)`, holds: results['c. replay'].max < limit },
      ],
      notes: [
        'Record holds, at its peak, the bytes received once (the pieces the network delivered, kept until the stream ends so that a ' +
          'body that turns out not to be UTF-8, or not a plain OpenAI stream, can still be stored raw). The stored chunks are made from ' +
          'those bytes one at a time, a megabyte of text decoded at a time, each time they are read (secret scan, file write), and never ' +
          'held as a list; before that change, holding the parsed chunks as well took record to 614 MB.',
        'Replay holds the file text and its parsed chunks at once while `JSON.parse` runs: the format is one JSON document, which ' +
          'cannot be parsed piece by piece without a streaming parser. The events sent to the caller are then made one at a time.',
      ],
    };
  } finally {
    await upstream.close();
  }
}

function recordingSize(folder: string): number {
  const files = (fs.readdirSync(folder, { recursive: true }) as string[]).filter((name) => name.endsWith('.json'));
  return files.reduce((total, name) => total + fs.statSync(`${folder}/${name}`).size, 0);
}
