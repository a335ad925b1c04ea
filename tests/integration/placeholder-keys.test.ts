import * as path from 'node:path';
import { failureOf, statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';

/**
 * Replay needs no key: in a replay run the environment gives the SDKs' usual key variables a placeholder where
 * they are unset, so a default client constructs; never in record or live mode, and a placeholder never leaves
 * the machine, even from a test that picked a mode reaching the network.
 */

const upstream = useUpstream();
const project = useProjects('placeholder-keys');
const requestsTo = (content: string) => upstream().requests.filter((r) => r.body.includes(JSON.stringify(content))).length;

const TESTS = `
const fs = require('fs');
const { replay } = require('jest-replay');
// What this test file sees, before any client reads it.
const { OPENAI_API_KEY: openai = null, ANTHROPIC_API_KEY: anthropic = null } = process.env;
fs.writeFileSync(process.env.OUT, JSON.stringify({ openai, anthropic }));
const { default: OpenAI } = require('openai');
const client = new OpenAI({ baseURL: process.env.UPSTREAM_BASE || 'http://127.0.0.1:9/v1' }); // the key from OPENAI_API_KEY
const ask = async (content) =>
  (await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] })).choices[0].message.content;
test('answers', async () => { expect(await ask('hi')).toBe('echo: hi'); });
test('goes live', async () => {
  if (!process.env.LIVE) return;
  replay.live();
  await ask('live with a placeholder');
});
`;

const PLACEHOLDER = 'jest-replay-placeholder-key';

test('replay sets a placeholder where the key is unset (said on the mode line), record and live runs never; it is never sent', async () => {
  // A setup file that sets a key, as a dotenv file loaded there would.
  const setup = 'if (process.env.SETUP_KEY) process.env.ANTHROPIC_API_KEY = process.env.SETUP_KEY;\n';
  const p = project({ 'tests/keys.test.js': TESTS, 'setup.js': setup }, { setupFiles: ['<rootDir>/setup.js'] });
  const out = path.join(p.dir, 'seen.json');
  const seen = () => JSON.parse(p.read('seen.json'));
  const base = { OUT: out, OPENAI_API_KEY: undefined, ANTHROPIC_API_KEY: undefined };

  const live = { UPSTREAM_BASE: upstream().baseURL };
  const recorded = await p.run({ ...base, ...live, RECORD: '1', OPENAI_API_KEY: 'sk-real-key-for-recording-0001' });
  expect(statusOf(recorded)).toEqual({ answers: 'passed', 'goes live': 'passed' });
  expect(seen()).toEqual({ openai: 'sk-real-key-for-recording-0001', anthropic: null });
  expect(recorded.stderr).not.toContain('placeholder');

  const ci = await p.run({ ...base, CI: 'true', OPENAI_API_KEY: '' });
  expect(statusOf(ci)).toEqual({ answers: 'passed', 'goes live': 'passed' });
  expect(seen()).toEqual({ openai: PLACEHOLDER, anthropic: PLACEHOLDER });
  const modeLine = 'jest-replay: replay mode, recordings in recordings; ' +
    'unset API keys get a placeholder: OPENAI_API_KEY, ANTHROPIC_API_KEY';
  expect(ci.stderr).toMatch(new RegExp(`^${modeLine} and \\d+ more$`, 'm'));

  // A test that goes live with a client made from the placeholder: refused before anything is sent. A key that is
  // set is left as it is, one a setup file sets too.
  const wentLive = await p.run({ ...base, ...live, LIVE: '1', SETUP_KEY: 'sk-ant-from-setup-file' });
  expect(seen()).toEqual({ openai: PLACEHOLDER, anthropic: 'sk-ant-from-setup-file' });
  expect(statusOf(wentLive)).toEqual({ answers: 'passed', 'goes live': 'failed' });
  expect(failureOf(wentLive, 'goes live')).toContain(
    `jest-replay: POST ${upstream().baseURL}/chat/completions was not sent: it carries jest-replay's placeholder key`,
  );
  expect(requestsTo('live with a placeholder')).toBe(0);

  const liveRun = await p.run({ ...base, ...live, JEST_REPLAY_MODE: 'live', OPENAI_API_KEY: 'sk-real-key-for-live-0002' });
  expect(statusOf(liveRun)).toEqual({ answers: 'passed', 'goes live': 'passed' });
  expect(seen()).toEqual({ openai: 'sk-real-key-for-live-0002', anthropic: null });

  // Turned off: the SDK refuses to start without its key, as without jest-replay.
  const off = { preset: 'jest-replay', transform: {}, setupFiles: ['<rootDir>/setup.js'] };
  Object.assign(off, { testEnvironmentOptions: { replay: { placeholderKeys: false } } });
  p.write('jest.config.js', `module.exports = ${JSON.stringify(off)};\n`);
  const turnedOff = await p.run(base);
  expect(turnedOff.code).toBe(1);
  expect(seen()).toEqual({ openai: null, anthropic: null });
  expect(turnedOff.output).toContain('OPENAI_API_KEY');
  expect(turnedOff.stderr).not.toContain('placeholder');
});
