import { FixtureProject, statusOf } from '../support/fixture';
import { startUpstream } from '../support/upstream';

/**
 * A user's own nock interceptors beside jest-replay: nock answers the host it mocks, in record and
 * in replay mode, and jest-replay records and replays the rest (here the openai SDK). What nock
 * answers is not recorded. Requests through fetch only: see README "Compatibility" for node:http.
 */
const TITLE = 'nock beside jest-replay nock answers its host, the openai SDK records and replays';
const TESTS = `
const nock = require('nock');
const OpenAI = require('openai');
afterEach(() => nock.cleanAll());
describe('nock beside jest-replay', () => {
  test('nock answers its host, the openai SDK records and replays', async () => {
    const weather = nock('http://weather.example').get('/today').reply(200, { sky: 'clear' });
    const { sky } = await fetch('http://weather.example/today').then((r) => r.json());
    const client = new OpenAI({ baseURL: process.env.UPSTREAM + '/v1', apiKey: 'sk-placeholder-for-tests' });
    const chat = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'the sky is ' + sky }] });
    expect(chat.choices[0].message.content).toBe('echo: the sky is clear');
    weather.done();
  });
});
`;

test('a test using nock for one host and jest-replay for openai passes when recording and when replaying offline', async () => {
  const project = new FixtureProject('coexistence', { 'tests/nock.test.js': TESTS });
  try {
    const upstream = await startUpstream();
    try {
      const recorded = await project.run({ RECORD: '1', UPSTREAM: upstream.url });
      expect([statusOf(recorded), recorded.output]).toEqual([{ [TITLE]: 'passed' }, expect.anything()]);
    } finally {
      await upstream.close();
    }
    const files = project.files();
    expect(files.map((file) => JSON.parse(project.read(`recordings/${file}`)).request.url)).toEqual(['http://127.0.0.1/v1/chat/completions']);
    const replayed = await project.run({ UPSTREAM: upstream.url });
    expect([statusOf(replayed), replayed.output]).toEqual([{ [TITLE]: 'passed' }, expect.anything()]);
  } finally {
    project.remove();
  }
});
