import { statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';

/**
 * A fetch client's own dispatcher (the `openai` SDK's `fetchOptions`, which its docs use for a proxy): record mode
 * sends the recorded call on through it, as the client would have; replay sends nothing anywhere.
 */

const upstream = useUpstream();
const project = useProjects('own-dispatcher');

const OWN_DISPATCHER = `
const { Agent } = require('undici');
const { default: OpenAI } = require('openai');

let dispatched = 0;
class Counting extends Agent {
  dispatch(options, handler) {
    dispatched++;
    return super.dispatch(options, handler);
  }
}

test('through the client dispatcher', async () => {
  const fetchOptions = { dispatcher: new Counting() };
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: process.env.UPSTREAM_BASE, maxRetries: 0, fetchOptions });
  const reply = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'through mine' }] });
  expect(reply.choices[0].message.content).toBe('echo: through mine');
  expect(dispatched).toBe(process.env.RECORD ? 1 : 0);
});

test('to a host left alone, through the client dispatcher in every mode', async () => {
  const response = await fetch(process.env.IGNORED_MODELS, { dispatcher: new Counting() });
  expect(response.status).toBe(200);
  expect(dispatched).toBe(process.env.RECORD ? 2 : 1);
});
`;

test("record mode sends a fetch call on through the client's own dispatcher; a host left alone is reached through it too", async () => {
  const models = `${upstream().url.replace('127.0.0.1', 'localhost')}/v1/models`;
  const p = project({ 'tests/own.test.js': OWN_DISPATCHER }, { testEnvironmentOptions: { replay: { ignoreHosts: ['localhost'] } } });
  const recorded = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL, IGNORED_MODELS: models });
  expect(statusOf(recorded)).toEqual({ 'through the client dispatcher': 'passed', 'to a host left alone, through the client dispatcher in every mode': 'passed' });
  const replayed = await p.run({ UPSTREAM_BASE: 'http://127.0.0.1:9/v1', IGNORED_MODELS: models });
  expect(statusOf(replayed)).toEqual({ 'through the client dispatcher': 'passed', 'to a host left alone, through the client dispatcher in every mode': 'passed' });
});
