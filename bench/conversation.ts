import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeResponse } from '../src/core/recording/codec';
import { parseRecording } from '../src/core/recording/parse';
import { startUpstream } from '../tests/support/upstream';
import { BenchProject } from './project';

/**
 * The traffic of the suite workloads: test files whose tests talk to an OpenAI-compatible API through
 * the `openai` SDK, and one Jest config per contender over the very same test files:
 *   replay.config.js  the jest-replay preset, replaying `recordings/`;
 *   nock.config.js    `testEnvironment: node` with nock interceptors answering the same bytes;
 *   stub.config.js    `testEnvironment: node` with a hand-written `fetch` stub answering the same
 *                     bytes, one stream event per read as fetch hands over a stream the server wrote
 *                     event by event: no interception library at all, the lowest cost there can be;
 *   stub-als.config.js  the stub, and one more AsyncLocalStorage enabled, as jest-replay's scope tracking has;
 *   replay-stub.config.js  the jest-replay preset, its requests answered by the stub before they reach it: all of
 *                     jest-replay (environment, interception, scopes, the run's summary) but its answers;
 *   polly.config.js   `testEnvironment: node` with Polly.js replaying its own HAR recordings.
 * The floors are fair: each test file loads only its own table of replies (traffic/<file>.json),
 * as jest-replay reads only the recordings its tests ask for.
 * Everything is recorded once against the loopback upstream, which is then stopped: every
 * measured run is offline.
 */

export type Call = 'stream' | 'chat' | 'embed';
/** Workload 1's test: three streaming chat completions, one plain one, one embeddings call. */
export const FIVE_CALLS: Call[] = ['stream', 'stream', 'stream', 'chat', 'embed'];

export interface ConversationSpec {
  name: string;
  files: number;
  testsPerFile: number;
  calls: Call[];
  /** Words of filler in each question; the upstream echoes a stream one word per event (default 45: ~50 events). */
  words?: number;
  polly?: boolean;
}

export interface Conversation {
  project: BenchProject;
  /** What every run of the project needs in its environment. */
  env: Record<string, string>;
  recordingFiles: number;
}

const WORDS = 'the quick brown fox jumps over the lazy dog while a calm river flows past green hills and old stone walls';

// Runs inside the child Jest; the upstream echoes a stream one word per event.
const converseJs = (words: number) => `
const { default: OpenAI } = require('openai');
const FILLER = Array.from({ length: ${words} }, (_, i) => ${JSON.stringify(WORDS)}.split(' ')[i % 20]).join(' ');

exports.converse = async (label, calls) => {
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: process.env.BENCH_BASE_URL, maxRetries: 0 });
  for (const [index, call] of calls.entries()) {
    const content = label + ' call ' + index + ' ' + FILLER;
    if (call === 'stream') {
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }], stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe('echo: ' + content);
    } else if (call === 'chat') {
      const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
      expect(completion.choices[0].message.content).toBe('echo: ' + content);
    } else {
      const embedding = await client.embeddings.create({ model: 'text-embedding-3-small', input: content, encoding_format: 'float' });
      expect(embedding.data[0].embedding).toHaveLength(8);
    }
  }
};
`;

const testFile = (file: number, spec: ConversationSpec) => `const { converse } = require('../converse');
const calls = ${JSON.stringify(spec.calls)};
for (let t = 0; t < ${spec.testsPerFile}; t++) test('conversation ' + t, () => converse('file ${file} test ' + t, calls));
`;

// The running test's rows of the floors' table of recorded bytes: its test file's table only.
const TRAFFIC_JS = `
const path = require('node:path');

exports.currentTraffic = () => {
  const { testPath, currentTestName } = expect.getState();
  return require('./traffic/' + path.basename(testPath) + '.json')[currentTestName];
};
`;

// The floor: interceptors written by hand (here: from a table), answering the recorded bytes at once.
const NOCK_SETUP_JS = `
const nock = require('nock');
const { currentTraffic } = require('./traffic');

beforeEach(() => {
  for (const r of currentTraffic()) nock(process.env.BENCH_ORIGIN).post(r.path, r.body).reply(r.status, r.pieces.join(''), r.headers);
});
afterEach(() => nock.cleanAll());
`;

// Below the floor: the SDK's fetch replaced by a function that looks the request up in the table and
// hands over the recorded bytes as fetch does, a stream of Uint8Array reads, one per recorded event.
const STUB_SETUP_JS = `
const { currentTraffic } = require('./traffic');

const realFetch = globalThis.fetch;
const encoder = new TextEncoder();
beforeEach(() => {
  const replies = currentTraffic();
  globalThis.fetch = async (url, init) => {
    const path = new URL(url).pathname;
    const r = replies.find((reply) => path === reply.path && init.body === JSON.stringify(reply.body));
    let next = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (next < r.pieces.length) controller.enqueue(encoder.encode(r.pieces[next++]));
        else controller.close();
      },
    });
    return new Response(body, { status: r.status, headers: r.headers });
  };
});
afterEach(() => (globalThis.fetch = realFetch));
`;

// What jest-replay's scope tracking costs alone: one more AsyncLocalStorage, enabled once for the process (kept on
// the core module, which every test file shares), whose hook then runs on every promise, as jest-replay's does.
const ALS_SETUP_JS = `
const hooks = require('node:async_hooks');
hooks.benchStorage ??= new hooks.AsyncLocalStorage();
hooks.benchStorage.enterWith({});
`;

// Polly.js as its docs set it up for Node: fetch adapter, fs persister, one recording per test.
const POLLY_SETUP_JS = `
const path = require('node:path');
const { Polly } = require('@pollyjs/core');
Polly.register(require('@pollyjs/adapter-fetch'));
Polly.register(require('@pollyjs/persister-fs'));

let polly;
beforeEach(() => {
  const { testPath, currentTestName } = expect.getState();
  polly = new Polly(path.basename(testPath) + '/' + currentTestName, {
    adapters: ['fetch'],
    adapterOptions: { fetch: { context: globalThis } },
    persister: 'fs',
    persisterOptions: { fs: { recordingsDir: path.join(__dirname, 'polly-recordings') } },
    mode: process.env.POLLY_MODE || 'replay',
    recordIfMissing: false,
    // SDK headers (user agent, retry count) are not what a request means.
    matchRequestsBy: { headers: false },
  });
});
afterEach(() => polly.stop());
`;

/** Writes the project, records its traffic (jest-replay, then Polly) and derives the floors' tables. */
export async function buildConversation(spec: ConversationSpec): Promise<Conversation> {
  const project = new BenchProject(spec.name);
  project.write('converse.js', converseJs(spec.words ?? 45));
  for (let file = 0; file < spec.files; file++) project.write(`tests/file-${String(file).padStart(3, '0')}.test.js`, testFile(file, spec));
  project.writeConfig('replay.config.js', { preset: 'jest-replay' });
  project.writeConfig('nock.config.js', { testEnvironment: 'node', setupFilesAfterEnv: ['<rootDir>/nock-setup.js'] });
  project.write('nock-setup.js', NOCK_SETUP_JS);
  project.writeConfig('stub.config.js', { testEnvironment: 'node', setupFilesAfterEnv: ['<rootDir>/stub-setup.js'] });
  project.write('stub-setup.js', STUB_SETUP_JS);
  project.writeConfig('replay-stub.config.js', { preset: 'jest-replay', setupFilesAfterEnv: ['<rootDir>/stub-setup.js'] });
  const withStorage = ['<rootDir>/stub-setup.js', '<rootDir>/als-setup.js'];
  project.writeConfig('stub-als.config.js', { testEnvironment: 'node', setupFilesAfterEnv: withStorage });
  project.write('als-setup.js', ALS_SETUP_JS);
  project.write('traffic.js', TRAFFIC_JS);
  if (spec.polly) {
    project.writeConfig('polly.config.js', { testEnvironment: 'node', setupFilesAfterEnv: ['<rootDir>/polly-setup.js'] });
    project.write('polly-setup.js', POLLY_SETUP_JS);
  }

  const upstream = await startUpstream();
  const env = { BENCH_BASE_URL: upstream.baseURL, BENCH_ORIGIN: upstream.url };
  try {
    await project.runJest('replay.config.js', { ...env, RECORD: '1' });
    if (spec.polly) await project.runJest('polly.config.js', { ...env, POLLY_MODE: 'record' });
  } finally {
    await upstream.close();
  }
  const recordingFiles = writeTables(project);
  return { project, env, recordingFiles };
}

/** traffic/<test file>.json: per test, each recorded request with the exact bytes jest-replay replays for it. */
function writeTables(project: BenchProject): number {
  const root = project.path('recordings');
  const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((name) => name.endsWith('.json'));
  const tables = new Map<string, Record<string, unknown[]>>();
  for (const name of files) {
    const file = path.join(root, name);
    const recording = parseRecording(fs.readFileSync(file, 'utf8'), file);
    const reply = decodeResponse(recording.response);
    const [testFile, test] = recording.test_id!.split('::');
    const table = tables.get(path.basename(testFile)) ?? {};
    tables.set(path.basename(testFile), table);
    (table[test] ??= []).push({
      path: recording.request.endpoint,
      body: recording.request.body,
      status: reply.status,
      headers: reply.headers,
      pieces: [...reply.pieces].map(String),
    });
  }
  for (const [testFile, table] of tables) project.write(`traffic/${testFile}.json`, JSON.stringify(table));
  return files.length;
}
