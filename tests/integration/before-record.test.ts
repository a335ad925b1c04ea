import * as fs from 'node:fs';
import * as path from 'node:path';
import { failureOf, FixtureProject, type JestRun, statusOf } from '../support/fixture';
import { startUpstream } from '../support/upstream';

/**
 * `beforeRecord`: the project's hook gets each response before it is stored (JSON parsed, a stream as
 * its events) with the request it answers, and what it returns is stored, still searched for
 * credentials. A hook that throws or returns nonsense fails the test, naming the module.
 */
const HOOK = `
const fs = require('node:fs');
const path = require('node:path');
module.exports = (response, request) => {
  const { status, headers, body, events } = response;
  const seen = { request, status, headers, body, events: events && events.length };
  fs.appendFileSync(path.join(process.env.OUT_DIR, 'seen.jsonl'), JSON.stringify(seen) + '\\n');
  const asked = JSON.stringify(request.body);
  if (asked.includes('throw please')) throw new Error('the hook broke');
  if (asked.includes('nonsense please')) return { status: 200 };
  if (asked.includes('leak please')) {
    response.body.choices[0].message.content = 'the key is sk-fixture-SECRET-value';
    return response;
  }
  // The documented example: a timestamp of the server's own, new on every call.
  if (typeof response.body?.server_time === 'number') response.body.server_time = 0;
  for (const event of response.events ?? []) {
    if (event.object === 'chat.completion.chunk') delete event.system_fingerprint;
    if (event.type === 'content_block_delta') event.delta.text = event.delta.text.toUpperCase();
  }
  return response;
};
`;

const TESTS = `
const fs = require('node:fs');
const path = require('node:path');
const { default: OpenAI } = require('openai');
const baseURL = process.env.UPSTREAM_BASE;
const client = new OpenAI({ apiKey: 'sk-fixture-SECRET-value', baseURL, maxRetries: 0 });
const save = (name, value) => fs.writeFileSync(path.join(process.env.OUT_DIR, name + '.json'), JSON.stringify(value));
const ask = (content, options) => client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] }, options);

test('a timestamp zeroed', async () => {
  const answer = await ask('what time is it', { headers: { 'x-upstream-server-time': '1' } });
  save('clock', answer.server_time);
});
test('stream events edited', async () => {
  const chunks = [];
  const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'edit my stream' }] });
  for await (const chunk of stream) chunks.push(chunk);
  const anthropic = await fetch(baseURL.replace(/\\/v1$/, '') + '/v1/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-haiku', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi claude' }] }),
  });
  const fingerprints = chunks.map((chunk) => chunk.system_fingerprint ?? null);
  save('streams', { fingerprints, text: chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), anthropic: await anthropic.text() });
});
test('an error response', async () => {
  const missing = client.chat.completions.create({ model: 'fail-404', messages: [{ role: 'user', content: 'missing' }] });
  save('error', await missing.catch((error) => error.status));
});
test('a hook that throws', () => ask('throw please'));
test('a hook that returns nonsense', () => ask('nonsense please'));
test('a hook that puts a credential in', () => ask('leak please'));
`;

describe('beforeRecord: the project edits each response before it is stored', () => {
  const project = new FixtureProject(
    'before-record',
    { 'tests/hooked.test.js': TESTS, 'before-record.js': HOOK },
    { testEnvironmentOptions: { replay: { beforeRecord: '<rootDir>/before-record.js' } } },
  );
  const out = (name: string) => path.join(project.dir, `out-${name}`);
  const saved = (run: string, name: string) => JSON.parse(fs.readFileSync(path.join(out(run), `${name}.json`), 'utf8'));
  const recordingOf = (folder: string) => {
    const files = project.files().filter((file) => file.includes(`/${folder}-`));
    return files.map((file) => JSON.parse(project.read(`recordings/${file}`)));
  };
  let recorded: JestRun;
  let replayed: JestRun;

  beforeAll(async () => {
    for (const name of ['record', 'replay']) fs.mkdirSync(out(name));
    const upstream = await startUpstream();
    try {
      recorded = await project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, OUT_DIR: out('record') });
    } finally {
      await upstream.close();
    }
    replayed = await project.run({ UPSTREAM_BASE: 'http://127.0.0.1:9/v1', OUT_DIR: out('replay') }, [
      '-t',
      'zeroed|edited|error response',
    ]);
  });
  afterAll(() => project.remove());

  test('what the hook returns is stored, and replayed; the caller of a record run still gets the live response', () => {
    expect(statusOf(recorded)).toMatchObject({
      'a timestamp zeroed': 'passed',
      'stream events edited': 'passed',
      'an error response': 'passed',
    });
    expect(saved('record', 'clock')).toBeGreaterThan(Date.now() - 600_000);
    expect(recordingOf('a_timestamp_zeroed')[0].response.body.__data__.server_time).toBe(0);
    expect(statusOf(replayed)).toMatchObject({
      'a timestamp zeroed': 'passed',
      'stream events edited': 'passed',
      'an error response': 'passed',
    });
    expect(saved('replay', 'clock')).toBe(0);
  });

  test('stream events: typed chunks keep their type; raw lines the hook left alone keep their bytes', () => {
    const [chat, anthropic] = recordingOf('stream_events_edited').sort((a) => (a.request.endpoint === '/v1/messages' ? 1 : -1));
    expect(
      chat.response.body.every(
        (chunk: { __type__: string; __data__: object }) =>
          chunk.__type__.endsWith('ChatCompletionChunk') && !('system_fingerprint' in chunk.__data__),
      ),
    ).toBe(true);
    expect(anthropic.response.body).toContain('data: {"type": "ping"}');
    expect(anthropic.response.body).toContain(
      'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" CLAUDE"}}',
    );
    expect(saved('record', 'streams').fingerprints).toContain('fp_test');
    const replay = saved('replay', 'streams');
    expect(replay.fingerprints.every((fingerprint: unknown) => fingerprint === null)).toBe(true);
    expect(replay.text).toBe(saved('record', 'streams').text);
    const upper = (text: string) => text.replace(/"text":"([^"]*)"/g, (_, delta: string) => `"text":"${delta.toUpperCase()}"`);
    const storedId = /msg_rec-[0-9a-f]{12}-1/.exec(replay.anthropic)![0];
    expect(replay.anthropic).toBe(upper(saved('record', 'streams').anthropic).replace(/msg_[0-9a-f]{24}/, storedId));
    expect(replay.anthropic).toContain('"text":"ECHO:"');
  });

  test('the hook gets status, headers, the JSON body or the stream events, and the request as stored', () => {
    const seen = fs
      .readFileSync(path.join(out('record'), 'seen.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const error = seen.find((entry) => entry.status === 404);
    expect(error).toMatchObject({
      request: { method: 'POST', url: 'http://127.0.0.1/v1/chat/completions', body: { model: 'fail-404' } },
      body: { error: { code: 'simulated_404' } },
    });
    expect(error.headers).toMatchObject({ 'x-request-id': expect.stringMatching(/^req_rec-/) });
    expect(seen.find((entry) => entry.request.body.stream && entry.request.body.model === 'gpt-4o')).toMatchObject({
      status: 200,
      events: expect.any(Number),
    });
    expect(JSON.stringify(seen)).not.toContain('SECRET');
  });

  test('a hook that throws or returns nonsense fails its test, naming the module; nothing is written', () => {
    expect(failureOf(recorded, 'a hook that throws')).toContain(
      'jest-replay: the beforeRecord hook before-record.js threw: the hook broke (for POST http://127.0.0.1/v1/chat/completions). Nothing was written',
    );
    expect(failureOf(recorded, 'a hook that throws')).toMatch(/at module\.exports \(.*before-record\.js:\d+/);
    expect(failureOf(recorded, 'a hook that returns nonsense')).toContain(
      'jest-replay: the beforeRecord hook before-record.js returned no "body"',
    );
    for (const folder of ['a_hook_that_throws', 'a_hook_that_returns_nonsense', 'a_hook_that_puts_a_credential_in'])
      expect(recordingOf(folder)).toEqual([]);
  });

  test("what the hook returns is still searched for the request's credentials", () => {
    expect(failureOf(recorded, 'a hook that puts a credential in')).toMatch(
      /jest-replay: not writing recordings\/.*: it would contain a credential of the live request: the header authorization at response\.body/,
    );
  });

  test('a module that cannot be loaded stops the run before any test, naming it', async () => {
    project.write(
      'jest.config.js',
      `module.exports = ${JSON.stringify({ preset: 'jest-replay', transform: {}, testEnvironmentOptions: { replay: { beforeRecord: './missing.js' } } })};\n`,
    );
    const run = await project.run({ RECORD: '1', OUT_DIR: out('record') });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('jest-replay: cannot load testEnvironmentOptions.replay.beforeRecord ./missing.js');
    expect(run.tests).toEqual([]);
  });
});
