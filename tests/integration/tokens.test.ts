import * as path from 'node:path';
import { useProjects, useUpstream } from '../support/lifecycle';

/**
 * Tokens in the summary: the end-of-run summary, its JSON file and `jest-replay list` give the prompt and completion
 * tokens of what was replayed and recorded, from each recording's stored `usage` (streams included), as the clients
 * themselves reported them.
 */

const upstream = useUpstream();
const project = useProjects('tokens');

const HEADER = `const fs = require('fs');
const seen = [];
const note = (prompt, completion) => seen.push({ prompt, completion });
afterAll(() => fs.writeFileSync(process.env.OUT + '-' + require('path').basename(__filename) + '.json', JSON.stringify(seen)));
`;

const OPENAI_TESTS = `${HEADER}const { default: OpenAI } = require('openai');
const openai = new OpenAI({ apiKey: 'sk-fixture-SECRET-value', baseURL: process.env.UPSTREAM_BASE || 'http://127.0.0.1:9/v1' });
const messages = [{ role: 'user', content: 'how many tokens is this prompt' }];
test('chat', async () => {
  const { usage } = await openai.chat.completions.create({ model: 'gpt-4o', messages });
  note(usage.prompt_tokens, usage.completion_tokens);
});
test('chat stream', async () => {
  const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } });
  let usage;
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
  note(usage.prompt_tokens, usage.completion_tokens);
});
test('responses stream', async () => {
  const stream = await openai.responses.create({ model: 'gpt-4o', input: 'a longer prompt for the responses api', stream: true });
  let usage;
  for await (const event of stream) if (event.type === 'response.completed') usage = event.response.usage;
  note(usage.input_tokens, usage.output_tokens);
});
test('embeddings', async () => {
  const { usage } = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'embed these words' });
  note(usage.prompt_tokens, 0);
});
`;

const ANTHROPIC_TESTS = `${HEADER}const { default: Anthropic } = require('@anthropic-ai/sdk');
const anthropic = new Anthropic({ apiKey: 'sk-ant-fixture-SECRET-value', baseURL: process.env.UPSTREAM_ORIGIN || 'http://127.0.0.1:9' });
const request = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'count these words please' }] };
test('message', async () => {
  const { usage } = await anthropic.messages.create(request);
  note(usage.input_tokens, usage.output_tokens);
});
test('message stream', async () => {
  const { usage } = await anthropic.messages.stream(request).finalMessage();
  note(usage.input_tokens, usage.output_tokens);
});
`;

type Tokens = { prompt: number; completion: number };
const NONE: Tokens = { prompt: 0, completion: 0 };
const sum = (list: Tokens[]): Tokens =>
  list.reduce((a, b) => ({ prompt: a.prompt + b.prompt, completion: a.completion + b.completion }), NONE);
const line = (replayed: Tokens, recorded: Tokens) =>
  `  tokens: ${replayed.prompt} prompt and ${replayed.completion} completion replayed; ` +
  `${recorded.prompt} prompt and ${recorded.completion} completion recorded\n`;

test('the summary, its JSON file and list give the tokens the clients saw, per run and per test file', async () => {
  const p = project({ 'tests/openai.test.js': OPENAI_TESTS, 'tests/anthropic.test.js': ANTHROPIC_TESTS });
  const env = { OUT: path.join(p.dir, 'seen'), JEST_REPLAY_SUMMARY_FILE: 'summary.json' };
  const seen = (file: string): Tokens[] => JSON.parse(p.read(`seen-${file}.test.js.json`));

  const recorded = await p.run({ ...env, RECORD: '1', UPSTREAM_BASE: upstream().baseURL, UPSTREAM_ORIGIN: upstream().url });
  expect(recorded.code).toBe(0);
  const openai = sum(seen('openai'));
  const anthropic = sum(seen('anthropic'));
  const all = sum([openai, anthropic]);
  expect(seen('openai').every((t) => t.prompt > 0)).toBe(true);
  expect(all.completion).toBeGreaterThan(0);
  expect(recorded.stderr).toContain(line(NONE, all));
  const recordedJson = JSON.parse(p.read('summary.json'));
  expect(recordedJson.directories[0]).toMatchObject({ dir: 'recordings', recorded: 6, tokens: { recorded: all, replayed: NONE } });

  const replayed = await p.run(env);
  expect(replayed.code).toBe(0);
  // Replay hands the clients the same usage they got live.
  expect(sum(seen('openai'))).toEqual(openai);
  expect(replayed.stderr).toContain(line(all, NONE));
  const json = JSON.parse(p.read('summary.json'));
  expect(json).toMatchObject({ mode: 'replay', complete: true, reasons: [], notRun: [], shard: null });
  expect(json.directories[0]).toMatchObject({ replayed: 6, recorded: 0, missing: 0, unused: 0, tokens: { replayed: all } });
  expect(json.directories[0].testFiles).toEqual([
    { testFile: 'tests/anthropic.test.js', tokens: { replayed: anthropic, recorded: NONE } },
    { testFile: 'tests/openai.test.js', tokens: { replayed: openai, recorded: NONE } },
  ]);

  const list = await p.cli(['list']);
  expect(list.code).toBe(0);
  const row = (file: string, t: Tokens) => new RegExp(`^  tests/${file}\\.test\\.js +${t.prompt} prompt, ${t.completion} completion$`, 'm');
  expect(list.stdout).toMatch(row('anthropic', anthropic));
  expect(list.stdout).toMatch(row('openai', openai));
  const listed = await p.cli(['list', '--json']);
  expect(listed.code).toBe(0);
  const data = JSON.parse(listed.stdout);
  expect(data.tokens).toEqual(all);
  expect(data.testFiles).toEqual([
    expect.objectContaining({ testFile: 'tests/anthropic.test.js', recordings: 2, tokens: anthropic }),
    expect.objectContaining({ testFile: 'tests/openai.test.js', recordings: 4, tokens: openai }),
  ]);
  expect(data.recordings).toHaveLength(6);
  const [first] = data.recordings;
  expect(first).toEqual(expect.objectContaining({ testId: expect.any(String), endpoint: expect.any(String), tokens: expect.any(Object) }));
});
