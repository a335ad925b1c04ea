import { FixtureProject, type JestRun, statusOf } from '../support/fixture';
import { startUpstream, type Upstream } from '../support/upstream';

/**
 * A user's own nock scopes beside jest-replay, in every mode: nock answers the hosts it mocks for every client
 * (axios and `https.get` over `node:http`, `fetch`), and jest-replay records and replays the rest in the same test
 * (the openai SDK over fetch, axios over `node:http`). What nock answers is never recorded. nock's
 * `disableNetConnect()` refuses what it does not mock, jest-replay's requests included, until `enableNetConnect()`;
 * `nock.restore()` and `nock.activate()` keep nock in front.
 */
const TESTS = `
const nock = require('nock');
const axios = require('axios');
const https = require('node:https');
const OpenAI = require('openai');
const getText = (url) => new Promise((resolve, reject) => {
  https.get(url, (res) => { let text = ''; res.on('data', (d) => (text += d)); res.on('end', () => resolve(text)); }).on('error', reject);
});
const chat = (content) => ({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
afterEach(() => { nock.cleanAll(); nock.enableNetConnect(); });

describe('nock beside jest-replay', () => {
  test('nock answers axios, https.get and fetch; the openai SDK and axios to the API record and replay', async () => {
    const weather = nock('http://weather.example').get('/today').twice().reply(200, { sky: 'clear' });
    const tls = nock('https://weather.example').get('/wind').reply(200, 'calm');
    const { data } = await axios.get('http://weather.example/today');
    const wind = await getText('https://weather.example/wind');
    const { sky } = await fetch('http://weather.example/today').then((r) => r.json());
    const client = new OpenAI({ baseURL: process.env.UPSTREAM + '/v1', apiKey: 'sk-placeholder-for-tests' });
    const reply = await client.chat.completions.create(chat('the sky is ' + sky + ', the wind ' + wind));
    expect(reply.choices[0].message.content).toBe('echo: the sky is clear, the wind calm');
    const viaAxios = await axios.post(process.env.UPSTREAM + '/v1/chat/completions', chat('axios says ' + data.sky));
    expect(viaAxios.data.choices[0].message.content).toBe('echo: axios says clear');
    weather.done();
    tls.done();
  });

  test('disableNetConnect refuses what nock does not mock, until enableNetConnect allows its host', async () => {
    nock.disableNetConnect();
    const refused = await axios.post(process.env.UPSTREAM + '/v1/chat/completions', chat('refused')).catch((e) => e);
    expect(refused.code).toBe('ENETUNREACH');
    nock.enableNetConnect('127.0.0.1');
    const allowed = await axios.post(process.env.UPSTREAM + '/v1/chat/completions', chat('allowed'));
    expect(allowed.data.choices[0].message.content).toBe('echo: allowed');
  });

  test('nock.restore() then nock.activate() still answers axios first', async () => {
    nock.restore();
    nock.activate();
    nock('http://weather.example').get('/today').reply(200, { sky: 'grey' });
    expect((await axios.get('http://weather.example/today')).data).toEqual({ sky: 'grey' });
  });
});
`;

const TITLES = [
  'nock beside jest-replay nock answers axios, https.get and fetch; the openai SDK and axios to the API record and replay',
  'nock beside jest-replay disableNetConnect refuses what nock does not mock, until enableNetConnect allows its host',
  'nock beside jest-replay nock.restore() then nock.activate() still answers axios first',
];
const allPassed = Object.fromEntries(TITLES.map((title) => [title, 'passed']));
const RECORDED = ['the sky is clear, the wind calm', 'axios says clear', 'allowed'];

describe('nock beside jest-replay, for every client, in every mode', () => {
  const project = new FixtureProject('coexistence', { 'tests/nock.test.js': TESTS });
  let upstream: Upstream;
  const runs: Record<string, JestRun> = {};
  /** What reached the upstream in each run with it up. */
  const reached: Record<string, string[]> = {};
  let recorded: Record<string, string>;

  beforeAll(async () => {
    upstream = await startUpstream();
    const prompts = () => upstream.requests.map((r) => JSON.parse(r.body).messages[0].content);
    try {
      runs.record = await project.run({ RECORD: '1', UPSTREAM: upstream.url });
      reached.record = prompts();
      recorded = project.snapshot();
      upstream.requests.length = 0;
      runs.live = await project.run({ JEST_REPLAY_MODE: 'live', UPSTREAM: upstream.url });
      reached.live = prompts();
    } finally {
      await upstream.close();
    }
    runs.replay = await project.run({ UPSTREAM: upstream.url });
    runs['record-if-missing'] = await project.run({ JEST_REPLAY_MODE: 'record-if-missing', UPSTREAM: upstream.url });
  });
  afterAll(() => project.remove());

  test('record: nock answers its hosts, jest-replay records only what reached the API', () => {
    expect([statusOf(runs.record), runs.record.output]).toEqual([allPassed, expect.anything()]);
    expect(reached.record).toEqual(RECORDED);
    const requests = Object.values(recorded).map((text) => JSON.parse(text).request);
    expect(requests.map((r) => r.body.messages[0].content).sort()).toEqual([...RECORDED].sort());
    expect(requests.every((r) => r.url === 'http://127.0.0.1/v1/chat/completions')).toBe(true);
  });

  test.each(['replay', 'record-if-missing'])('%s, with the API down: nock answers its hosts, the rest replays, writes nothing', (mode) => {
    expect([statusOf(runs[mode]), runs[mode].output]).toEqual([allPassed, expect.stringContaining(`jest-replay: ${mode} mode`)]);
    expect(project.snapshot()).toEqual(recorded);
  });

  test('live: nock answers its hosts, the rest reaches the API, nothing is recorded', () => {
    expect([statusOf(runs.live), runs.live.output]).toEqual([allPassed, expect.anything()]);
    expect(reached.live).toEqual(RECORDED);
  });
});
