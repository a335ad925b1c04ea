import * as http from 'node:http';
import * as net from 'node:net';
import { failureOf, statusOf } from '../support/fixture';
import { useProjects } from '../support/lifecycle';
import { OPENAI_CLIENT } from '../support/snippets';
import { startUpstream, type Upstream } from '../support/upstream';

/** The fixture client's API key (see OPENAI_CLIENT): it must never be printed or written. */
const API_KEY = 'sk-fixture-SECRET-value';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

const project = useProjects('trust');

describe('a credential echoed by the server is never written', () => {
  // With ECHO_AUTH set, the upstream appends the bearer token to its reply (split across two chunks in a stream).
  const ECHOING = `${OPENAI_CLIENT}
const echo = process.env.ECHO_AUTH ? { headers: { 'x-upstream-echo-auth': '1' } } : {};
test('plain', async () => {
  const reply = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'plain' }] }, echo);
  expect(reply.choices[0].message.content).toContain('echo: plain');
});
test('stream', async () => {
  let text = '';
  const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'streamed' }], stream: true }, echo);
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  expect(text).toContain('echo: streamed');
});
`;

  test('nothing is written, the earlier recordings stay as they were, the tests fail naming the credential but not its value', async () => {
    const p = project({ 'tests/echo.test.js': ECHOING });
    const clean = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL });
    expect(statusOf(clean)).toEqual({ plain: 'passed', stream: 'passed' });
    const before = p.snapshot();
    expect(Object.keys(before)).toHaveLength(2);

    const echoed = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, ECHO_AUTH: '1' });
    expect(statusOf(echoed)).toEqual({ plain: 'failed', stream: 'failed' });
    expect(p.snapshot()).toEqual(before);
    const plain = failureOf(echoed, 'plain');
    expect(plain).toMatch(/jest-replay: not writing recordings\/tests\/echo\.test\.js\/plain-[0-9a-f]{8}\/[0-9a-f]{16}\.json: it would contain a credential/);
    expect(plain).toContain('the header authorization at response.body.__data__.choices[0].message.content');
    expect(failureOf(echoed, 'stream')).toMatch(/the header authorization at response\.body\[\d+\.\.\d+\] \(stream text\)/);
    expect(`${echoed.output}${echoed.stdout}`).not.toContain(API_KEY);
  });

  test('with no earlier recording, no file appears', async () => {
    const p = project({ 'tests/echo.test.js': ECHOING });
    const run = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, ECHO_AUTH: '1' });
    expect(statusOf(run)).toEqual({ plain: 'failed', stream: 'failed' });
    expect(p.files()).toEqual([]);
  });
});

test('credentials in the URL are neither stored nor keyed: another key replays the same recordings', async () => {
  const p = project({
    'tests/url.test.js': `
const http = require('http');
const base = process.env.UPSTREAM_BASE || 'http://127.0.0.1:9/v1';
const secret = process.env.URL_SECRET;
const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'url credentials' }] });
test('a key parameter', async () => {
  const response = await fetch(base + '/chat/completions?api_key=' + secret + '&x=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect((await response.json()).choices[0].message.content).toBe('echo: url credentials');
});
test('user:password@', async () => {
  const url = base.replace('://', '://me:' + secret + '@') + '/chat/completions';
  const text = await new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.on('data', (part) => (text += part));
      response.on('end', () => resolve(text));
    });
    request.on('error', reject);
    request.end(body);
  });
  expect(JSON.parse(text).choices[0].message.content).toBe('echo: url credentials');
});
`,
  });
  const recorded = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, URL_SECRET: 'first-secret-1234' });
  expect(statusOf(recorded)).toEqual({ 'a key parameter': 'passed', 'user:password@': 'passed' });
  const files = Object.values(p.snapshot()).join('\n');
  expect(files).not.toContain('first-secret-1234');
  expect(files).not.toContain(Buffer.from('me:first-secret-1234').toString('base64'));
  expect(files).toContain('/v1/chat/completions?x=1"');
  expect(statusOf(await p.run({ URL_SECRET: 'other-secret-5678' }))).toEqual({ 'a key parameter': 'passed', 'user:password@': 'passed' });
});

describe('credentials a careless server echoes from elsewhere than a bearer token, or a URL carries under other names', () => {
  let careless: http.Server;
  let base = '';
  beforeAll(async () => {
    // Echoes what a request carries, as badly written APIs do: the Basic auth user in an error, the bearer token in raw SSE data.
    careless = http.createServer((request, response) => {
      const { pathname } = new URL(request.url!, 'http://careless.invalid');
      const [scheme = '', value = ''] = (request.headers.authorization ?? '').split(' ');
      request.resume().on('end', () => {
        if (pathname === '/basic') {
          const user = Buffer.from(value, 'base64').toString('utf8').split(':')[0];
          const error = { error: { message: `Invalid API key provided: ${user}` } };
          response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify(error));
        } else if (pathname === '/sse' && scheme === 'Bearer') {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.end(`event: delta\ndata: echo ${value.slice(0, 6)}\n\nevent: delta\nid: 2\ndata: ${value.slice(6)}\n\n`);
        } else {
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
        }
      });
    });
    await new Promise<void>((resolve) => careless.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(careless.address() as net.AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => careless.close(resolve)));

  const CARELESS = `
const base = process.env.CARELESS_BASE || 'http://127.0.0.1:9';
const key = process.env.KEY;
test('a key as the Basic auth user', async () => {
  const response = await fetch(base + '/basic', { headers: { authorization: 'Basic ' + Buffer.from(key + ':').toString('base64') } });
  expect(response.status).toBe(401);
});
test('credential parameters', async () => {
  const query = ['subscription-key', 'code', 'openai_api_key', 'auth_token', 'x-api-key'].map((name, i) => name + '=' + key + i).join('&');
  expect(await (await fetch(base + '/query?' + query + '&page=2')).json()).toEqual({ ok: true });
});
test('a parameter equal to the bearer token', async () => {
  const response = await fetch(base + '/by-value?deployment=' + key + '&page=3', { headers: { authorization: 'Bearer ' + key } });
  expect(await response.json()).toEqual({ ok: true });
});
test('a key split across raw SSE data lines', async () => {
  expect(await (await fetch(base + '/sse', { headers: { authorization: 'Bearer ' + key } })).text()).toContain('data: echo');
});
`;

  test('none reaches disk; URL credentials are dropped by name and by value, and another key replays the same recordings', async () => {
    const p = project({ 'tests/careless.test.js': CARELESS });
    const KEY = 'sk_test_RECORDED0123456789';
    const recorded = await p.run({ RECORD: '1', CARELESS_BASE: base, KEY });
    expect(statusOf(recorded)).toEqual({
      'a key as the Basic auth user': 'failed',
      'credential parameters': 'passed',
      'a parameter equal to the bearer token': 'passed',
      'a key split across raw SSE data lines': 'failed',
    });
    expect(failureOf(recorded, 'a key as the Basic auth user')).toContain('the header authorization (user) at response.body.error.message');
    const streamed = failureOf(recorded, 'a key split across raw SSE data lines');
    expect(streamed).toMatch(/the header authorization at response\.body\[\d+\.\.\d+\] \(stream text\)/);
    const files = p.snapshot();
    expect(Object.keys(files)).toHaveLength(2);
    expect(Object.values(files).join('\n')).not.toContain('RECORDED0123456789');
    // A loopback server's port is not stored.
    const urls = Object.values(files).map((text) => JSON.parse(text).request.url.replace('http://127.0.0.1', ''));
    expect(urls.sort()).toEqual(['/by-value?page=3', '/query?page=2']);
    expect(`${recorded.output}${recorded.stdout}`).not.toContain('RECORDED0123456789');

    const replayed = await p.run({ KEY: 'sk_test_ANOTHER9876543210' });
    expect(statusOf(replayed)).toMatchObject({ 'credential parameters': 'passed', 'a parameter equal to the bearer token': 'passed' });
  });
});

test('a redact hook keys record and replay alike and stores only the replaced values', async () => {
  const p = project(
    {
      'redact.js': `module.exports = ({ method, url, body }) => ({ method, url, body: JSON.parse(JSON.stringify(body).replace(/session-[0-9a-f]+/g, 'session-<redacted>')) });\n`,
      'tests/redact.test.js': `${OPENAI_CLIENT}
test('asks with a fresh session id', async () => {
  const session = 'session-' + require('crypto').randomBytes(6).toString('hex');
  // Replay answers with the recorded reply, which echoed the session id of the recording run.
  expect(await ask('hello from ' + session)).toMatch(process.env.UPSTREAM_BASE ? 'echo: hello from ' + session : /^echo: hello from session-[0-9a-f]{12}$/);
});
`,
    },
    { testEnvironmentOptions: { replay: { redact: '<rootDir>/redact.js' } } },
  );
  expect(statusOf(await p.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL }))).toEqual({ 'asks with a fresh session id': 'passed' });
  const [file] = p.files();
  expect(JSON.parse(p.read(`recordings/${file}`)).request.body.messages[0].content).toBe('hello from session-<redacted>');
  // Another random id, no server: found by the redacted key.
  expect(statusOf(await p.run())).toEqual({ 'asks with a fresh session id': 'passed' });
  // verify keys the stored request through the hook too, as the recorder keys a live one.
  expect(await p.cli(['verify'])).toMatchObject({ code: 0, stdout: '1 recording checked, no problems\n' });
});

describe('network isolation in replay mode', () => {
  let database: net.Server;
  const connections = new Set<net.Socket>();
  let port = 0;
  beforeAll(async () => {
    // Stands in for a test database: a loopback server that the named hosts below resolve to.
    database = net.createServer((socket) => {
      connections.add(socket);
      // Clients hang up abruptly (a failed TLS handshake): that is no error here.
      socket.on('error', () => undefined).end('hello\n');
    });
    await new Promise<void>((resolve) => database.listen(0, '127.0.0.1', resolve));
    port = (database.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    const closed = new Promise((resolve) => database.close(resolve));
    for (const socket of connections) socket.destroy();
    await closed;
  });

  // Hostnames resolved to the loopback server by a custom lookup: nothing leaves the machine even without the guard.
  const LOOKUP = `const lookup = (host, options, callback) => (options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4));\n`;
  const RAW_SOCKETS = `
const net = require('net');
const tls = require('tls');
${LOOKUP}const outcome = (socket) => new Promise((resolve) => {
  socket.once('error', (error) => resolve({ error: error.message, code: error.code }));
  socket.once('connect', () => { socket.destroy(); resolve({ connected: true }); });
});
test('raw net.connect to a named host', async () => {
  const result = await outcome(net.connect({ host: 'db.example.test', port: Number(process.env.DB_PORT), lookup }));
  console.log('RESULT net ' + JSON.stringify(result));
  expect(result).toEqual({ connected: true });
});
test('tls.connect to a named host', async () => {
  const result = await outcome(tls.connect({ host: 'api.example.test', port: Number(process.env.DB_PORT), lookup, servername: 'api.example.test' }));
  console.log('RESULT tls ' + JSON.stringify(result));
  expect(result.code).not.toBe('ERR_JEST_REPLAY_NETWORK_ISOLATED');
});
test('a refusal the code swallows still fails the test', async () => {
  await outcome(net.connect({ host: 'other.example.test', port: Number(process.env.DB_PORT), lookup }));
});
test('loopback is always allowed', async () => {
  expect(await outcome(net.connect({ host: '127.0.0.1', port: Number(process.env.DB_PORT) }))).toEqual({ connected: true });
});
`;

  const UNDICI = `
const { Agent, request } = require('undici');
${LOOKUP}test('undici.request, which no interceptor sees', async () => {
  const error = await request('http://api.example.test:' + process.env.DB_PORT + '/', { dispatcher: new Agent({ connect: { lookup } }) }).catch((e) => e);
  expect(error.message).toContain('jest-replay: connection to api.example.test:' + process.env.DB_PORT + ' refused');
});
`;

  test('a raw socket to a host that is not loopback fails at once, naming the host and allowHosts, and fails its test', async () => {
    const p = project({ 'tests/raw.test.js': RAW_SOCKETS, 'tests/undici.test.js': UNDICI });
    const run = await p.run({ DB_PORT: String(port) });
    expect(statusOf(run)).toEqual({
      'raw net.connect to a named host': 'failed',
      'tls.connect to a named host': 'failed',
      'a refusal the code swallows still fails the test': 'failed',
      'loopback is always allowed': 'passed',
      'undici.request, which no interceptor sees': 'failed',
    });
    // undici got the refusal as its error (its own assertion held), and the test failed all the same.
    const undici = failureOf(run, 'undici.request, which no interceptor sees');
    expect(undici).toContain(`jest-replay: connection to api.example.test:${port} refused`);
    expect(undici).not.toContain('toContain');
    expect(failureOf(run, 'a refusal the code swallows still fails the test')).toContain(`jest-replay: connection to other.example.test:${port} refused`);
    const message = failureOf(run, 'raw net.connect to a named host');
    expect(message).toContain(`jest-replay: connection to db.example.test:${port} refused: replay mode allows only loopback hosts.`);
    expect(message).toContain('add it to testEnvironmentOptions.replay.allowHosts');
    expect(failureOf(run, 'tls.connect to a named host')).toContain(`jest-replay: connection to api.example.test:${port} refused`);
  });

  test('allowHosts lets the connection through', async () => {
    const p = project({ 'tests/raw.test.js': RAW_SOCKETS }, { testEnvironmentOptions: { replay: { allowHosts: ['db.example.test', `api.example.test:${port}`] } } });
    const run = await p.run({ DB_PORT: String(port) });
    // The TLS handshake with a plain server fails, but only after connecting: the guard let it try.
    expect(statusOf(run)).toEqual({
      'raw net.connect to a named host': 'passed',
      'tls.connect to a named host': 'passed',
      'a refusal the code swallows still fails the test': 'failed',
      'loopback is always allowed': 'passed',
    });
  });

  test('record mode does not guard sockets', async () => {
    const p = project({ 'tests/raw.test.js': RAW_SOCKETS });
    const run = await p.run({ RECORD: '1', DB_PORT: String(port) });
    expect(statusOf(run)['raw net.connect to a named host']).toBe('passed');
  });
});
