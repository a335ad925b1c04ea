import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { failureOf, type JestRun, statusOf } from '../support/fixture';
import { useProjects } from '../support/lifecycle';

/**
 * Credentials a request carries anywhere (body fields, any credential header) never reach disk, the
 * key does not depend on them, a stream cannot smuggle one past the check by splitting it, and a JSON
 * body JavaScript cannot represent exactly does not share its key with another.
 */

const RECORDED = 'tvly-RECORDED0123456789';
const ANOTHER = 'tvly-ANOTHER9876543210';
/** A key a server makes up (no request carried it): only verify's key shapes can find it. */
const INVENTED = 'sk-proj-INVENTEDabcdefghijklmnop';

/** Answers as APIs that take credentials in bodies and headers do; echoes them where asked, as careless ones do. */
function careless(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): unknown {
  const url = new URL(request.url!, 'http://careless.invalid');
  const send = (value: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  if (url.pathname === '/search') {
    const { query, api_key: key } = JSON.parse(body.toString()) as { query: string; api_key: string };
    return send(query === 'echo' ? { error: `invalid api_key ${key}` } : { results: [query] });
  }
  if (url.pathname === '/oauth/token') return send({ ok: true, grant: new URLSearchParams(body.toString()).get('grant_type') });
  if (url.pathname === '/upload') return send({ fields: [...body.toString().matchAll(/; name="([^"]+)"/g)].map((m) => m[1]) });
  if (url.pathname === '/raw') return response.writeHead(200, { 'content-type': 'text/plain' }).end(`raw: ${body.toString()}`);
  if (url.pathname === '/echo-header') return send({ seen: request.headers[url.searchParams.get('name')!] });
  if (url.pathname === '/echo-cookie') {
    const cookies = new Map(String(request.headers.cookie).split('; ').map((pair) => pair.split('=') as [string, string]));
    return send({ seen: cookies.get(url.searchParams.get('name')!) });
  }
  const layout = /^\/stream\/(\w+)$/.exec(url.pathname)?.[1];
  if (layout) {
    const secret = url.searchParams.has('invented') ? INVENTED : String(request.headers.authorization).replace('Bearer ', '');
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const event of splitEvents(layout, secret.slice(0, 12), secret.slice(12))) response.write(`data: ${JSON.stringify(event)}\n\n`);
    return response.end(layout === 'reasoning' || layout === 'tools' ? 'data: [DONE]\n\n' : '');
  }
  response.writeHead(404).end();
}

/** A value split in two, in each layout an audit found the text-field check blind to. */
function splitEvents(layout: string, first: string, second: string): unknown[] {
  const chunk = (delta: unknown) => ({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] });
  const call = (index: number, fn: unknown, extra = {}) => chunk({ tool_calls: [{ index, ...extra, function: fn }] });
  switch (layout) {
    case 'output':
      return [{ output: `the key is ${first}` }, { output: `${second} (done)` }];
    case 'generated_text':
      return [{ generated_text: first }, { generated_text: second }];
    case 'reasoning':
      return [chunk({ role: 'assistant', reasoning_content: `thinking about ${first}` }), chunk({ content: `${second}, said the model` })];
    default:
      return [
        call(0, { name: 'search', arguments: '' }, { id: 'call_a', type: 'function' }),
        call(1, { name: 'lookup', arguments: '' }, { id: 'call_b', type: 'function' }),
        call(0, { arguments: `{"key": "${first}` }),
        call(1, { arguments: '{"q": "x"}' }),
        call(0, { arguments: `${second}"}` }),
      ];
  }
}

const LAYOUTS = ['output', 'generated_text', 'reasoning', 'tools'];
const HEADERS = ['cookie', 'x-amz-security-token', 'ocp-apim-subscription-key', 'x-auth-token', 'apikey', 'private-token', 'x-functions-key', 'authentication'];

const TESTS = `
const { replay } = require('jest-replay');
const base = process.env.CARELESS_BASE || 'http://127.0.0.1:9';
const KEY = process.env.KEY;
const search = (query, extra = '') => fetch(base + '/search' + extra, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query, api_key: KEY, auth: { clientSecret: KEY + '-2', 'refresh-token': KEY + '-3', expires: 5 }, code: 'print(1)', key: 'everyday' }),
});
test('json', async () => {
  expect(await (await search('weather')).json()).toEqual({ results: ['weather'] });
  expect(JSON.stringify(await replay.interactions()).includes(KEY)).toBe(false);
});
test('json changed', async () => {
  const query = 'rain' + (process.env.QUERY_SUFFIX || '');
  expect(await (await search(query, '?session=' + KEY)).json()).toEqual({ results: [query] });
});
test('form', async () => {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'my-app', client_secret: KEY, code: KEY + '-4' });
  expect(await (await fetch(base + '/oauth/token', { method: 'POST', body: form })).json()).toEqual({ ok: true, grant: 'client_credentials' });
});
test('multipart', async () => {
  const form = new FormData();
  form.append('api_key', KEY);
  form.append('purpose', 'search');
  form.append('file', new Blob(['hello']), 'a.txt');
  expect(await (await fetch(base + '/upload', { method: 'POST', body: form })).json()).toEqual({ fields: ['api_key', 'purpose', 'file'] });
});
test('echoed', async () => {
  await search('echo');
});
for (const name of ${JSON.stringify(HEADERS)}) {
  test('header ' + name, async () => {
    const value = name === 'cookie' ? 'theme=dark; session=' + KEY + '-cookie' : KEY + '-' + name;
    await fetch(base + '/echo-header?name=' + name, { headers: { [name]: value } });
  });
}
test('one cookie', async () => {
  await fetch(base + '/echo-cookie?name=session', { headers: { cookie: 'theme=dark; session=' + KEY + '-cookie' } });
});
for (const layout of ${JSON.stringify(LAYOUTS)}) {
  test('split ' + layout, async () => {
    await (await fetch(base + '/stream/' + layout, { headers: { authorization: 'Bearer ' + KEY } })).text();
  });
  test('invented ' + layout, async () => {
    await (await fetch(base + '/stream/' + layout + '?invented=1')).text();
  });
}
test('duplicate keys and big integers', async () => {
  const bodies = ['{"a":1,"a":2}', '{"a":2}', '{"seed":9007199254740993}', '{"seed":9007199254740992}'];
  for (const body of process.env.REVERSE ? [...bodies].reverse() : bodies) {
    const response = await fetch(base + '/raw', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await response.text()).toBe('raw: ' + body);
  }
});
`;

/** Sees every request the project keys, as the redact hook gets it. */
const REDACT = `const fs = require('fs');
module.exports = (request) => { fs.appendFileSync(__dirname + '/seen.log', JSON.stringify(request) + '\\n'); return request; };
`;

let server: http.Server;
let base = '';
beforeAll(async () => {
  server = http.createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part)).on('end', () => careless(request, Buffer.concat(parts), response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const project = useProjects('credentials');

describe('a record run, then a replay run with another key', () => {
  let p: ReturnType<typeof project>;
  let recorded: JestRun;
  let replayed: JestRun;
  /** Every file the project holds but its tests and config: recordings, usage notes, the redact hook's log. */
  const written = () => {
    const folders = ['recordings', 'node_modules/.cache/jest-replay'];
    return [...folders.flatMap((folder) => Object.values(p.snapshot(folder))), p.read('seen.log')].join('\n');
  };
  /** The stored request of a test's only recording. */
  const storedRequest = (title: string) => {
    const [file] = p.files().filter((f) => f.startsWith(`tests/creds.test.js/${title.replace(/ /g, '_')}-`));
    return JSON.parse(p.read(`recordings/${file}`)).request;
  };

  beforeAll(async () => {
    p = project({ 'tests/creds.test.js': TESTS, 'redact.js': REDACT }, { testEnvironmentOptions: { replay: { redact: '<rootDir>/redact.js' } } });
    recorded = await p.run({ RECORD: '1', CARELESS_BASE: base, KEY: RECORDED });
    replayed = await p.run({ KEY: ANOTHER, REVERSE: '1', QUERY_SUFFIX: ' tomorrow' });
  });

  test('body credentials are stored as a marker, in JSON at any depth, forms and multipart; everyday fields stay', () => {
    expect(statusOf(recorded)).toMatchObject({ json: 'passed', 'json changed': 'passed', form: 'passed', multipart: 'passed' });
    expect(storedRequest('json').body).toEqual({
      query: 'weather',
      api_key: '<redacted>',
      auth: { clientSecret: '<redacted>', 'refresh-token': '<redacted>', expires: 5 },
      code: 'print(1)',
      key: 'everyday',
    });
    expect(storedRequest('json changed').url).toMatch(/\/search$/);
    expect(storedRequest('form').body).toBe('grant_type=client_credentials&client_id=my-app&client_secret=%3Credacted%3E&code=%3Credacted%3E');
    expect(storedRequest('multipart').body.multipart).toEqual([
      { name: 'api_key', value: '<redacted>' },
      { name: 'purpose', value: 'search' },
      expect.objectContaining({ name: 'file', filename: 'a.txt' }),
    ]);
  });

  test('no credential reaches a recording, the usage notes or the redact hook, in either run; nor what the user reads', () => {
    expect(fs.existsSync(path.join(p.dir, 'node_modules/.cache/jest-replay'))).toBe(true);
    const text = written();
    for (const key of [RECORDED, ANOTHER]) expect(text).not.toContain(key.slice(5));
    expect(`${recorded.output}${recorded.stdout}${replayed.output}${replayed.stdout}`).not.toMatch(/RECORDED0123|ANOTHER9876/);
  });

  test('a body credential echoed by the server: nothing written, the test fails naming the field', () => {
    expect(statusOf(recorded).echoed).toBe('failed');
    expect(failureOf(recorded, 'echoed')).toContain('it would contain a credential of the live request: the body field api_key at response.body.error');
  });

  test('the key does not depend on body credentials: another key replays; a miss shows no credential', () => {
    expect(statusOf(replayed)).toMatchObject({ json: 'passed', form: 'passed', multipart: 'passed', 'json changed': 'failed' });
    const miss = failureOf(replayed, 'json changed');
    expect(miss).toContain('body.query: "rain" → "rain tomorrow"');
    expect(miss).toContain('1 field differs');
    expect(miss).toMatch(/request: {2}POST http:\/\/127\.0\.0\.1:\d+\/search\n/);
  });

  test.each(HEADERS)('the value of the credential header %s echoed: nothing written, the test fails naming it', (name) => {
    expect(failureOf(recorded, `header ${name}`)).toContain(`it would contain a credential of the live request: the header ${name} at response.body.seen`);
  });

  test('one cookie of a Cookie header echoed on its own is found too', () => {
    expect(failureOf(recorded, 'one cookie')).toContain('the header cookie (session) at response.body.seen');
  });

  test.each(LAYOUTS)('the request key split in a stream (%s): nothing written, the test fails naming the items', (layout) => {
    expect(failureOf(recorded, `split ${layout}`)).toMatch(/the header authorization at response\.body\[\d+\.\.\d+\] \(stream text\)/);
    expect(p.files().filter((f) => f.includes(`/split_${layout}-`))).toEqual([]);
  });

  test('verify finds a key-shaped value split in a stream, naming the file and the items, never the value', async () => {
    expect(statusOf(recorded)).toMatchObject(Object.fromEntries(LAYOUTS.map((layout) => [`invented ${layout}`, 'passed'])));
    const { code, stdout } = await p.cli(['verify']);
    expect(code).toBe(1);
    for (const layout of LAYOUTS) {
      const line = new RegExp(`^recordings/tests/creds\\.test\\.js/invented_${layout}-[0-9a-f]{8}/[0-9a-f]{16}\\.json: looks like it holds a credential: ` +
        `an OpenAI project key \\("sk-proj-…"\\) split across response\\.body\\[\\d+\\.\\.\\d+\\] \\(stream text\\)$`, 'm');
      expect(stdout).toMatch(line);
    }
    expect(stdout).toMatch(/, 4 problems\n$/);
    expect(stdout).not.toContain('INVENTED');
  });

  test('duplicate JSON keys and integers beyond 2^53 key apart: replayed in another order, each gets its own answer', () => {
    expect(statusOf(recorded)['duplicate keys and big integers']).toBe('passed');
    expect(statusOf(replayed)['duplicate keys and big integers']).toBe('passed');
    const bodies = p.files().filter((f) => f.includes('/duplicate_keys')).map((f) => JSON.parse(p.read(`recordings/${f}`)).request.body);
    expect(bodies).toEqual(expect.arrayContaining(['{"a":1,"a":2}', { a: 2 }, '{"seed":9007199254740993}', { seed: 9007199254740992 }]));
  });

  test('import drops every credential header and body credential of a llama-stack file, naming the file', async () => {
    const headers = { Cookie: `session=${RECORDED}`, 'X-Amz-Security-Token': RECORDED, 'Ocp-Apim-Subscription-Key': RECORDED, 'content-type': 'application/json' };
    const file = JSON.stringify({
      test_id: 'tests/test_search.py::test_search',
      request: { method: 'POST', url: 'http://0.0.0.0:8321/v1/search', headers, body: { query: 'q', api_key: RECORDED, temperature: 'FLOAT' } },
      response: { body: { results: [] }, is_streaming: false },
    });
    // A float as Python writes it: import keeps every number as written.
    p.write('llama/a.json', file.replace('"FLOAT"', '1.0').replace('"request":{', '"request":{"endpoint":"/v1/search",'));
    const { code, stdout } = await p.cli(['import', 'llama', '--dir', 'imported']);
    expect(code).toBe(0);
    const dropped = 'request header cookie, request header x-amz-security-token, request header ocp-apim-subscription-key, request body field api_key';
    expect(stdout).toMatch(new RegExp(`^imported llama/a\\.json -> imported/\\S+, without its credentials: ${dropped}$`, 'm'));
    const text = p.read(`imported/${p.files('imported')[0]}`);
    expect(text).not.toContain(RECORDED);
    expect(text).toContain('"api_key": "<redacted>",\n      "temperature": 1.0\n');
  });
});
