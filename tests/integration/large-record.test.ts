import * as fs from 'node:fs';
import * as path from 'node:path';
import { statusOf } from '../support/fixture';
import { useProjects } from '../support/lifecycle';

/** Recording a stream larger than what is held in memory (16 MiB): it goes through a temporary file, removed once written. */

const project = useProjects('large-record');

const EVENTS = 300;
const HELD_BACK = 20;
const LARGE = `
const fs = require('node:fs');
const http = require('node:http');

const event = (n) => 'data: ' + JSON.stringify({
  id: 'chatcmpl-large', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o',
  choices: [{ index: 0, delta: { content: String(n % 10).repeat(65536) }, finish_reason: null }],
}) + '\\n\\n';
let server;
let sendRest = () => {};
beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/rest') {
      sendRest();
      return res.end('ok');
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let n = 0; n < ${EVENTS - HELD_BACK}; n++) res.write(event(n));
    // The rest when the test asks: the stream is still being received when it looks for the temporary file.
    sendRest = () => {
      for (let n = ${EVENTS - HELD_BACK}; n < ${EVENTS}; n++) res.write(event(n));
      res.end('data: [DONE]\\n\\n');
    };
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const spills = () => (fs.statSync(process.env.TMPDIR).isDirectory() ? fs.readdirSync(process.env.TMPDIR) : []).filter((name) => name.startsWith('jest-replay-'));

test('large', async () => {
  const base = 'http://127.0.0.1:' + server.address().port;
  const response = await fetch(base + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"stream":true}' });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (text.length < 17 * 2 ** 20) text += decoder.decode((await reader.read()).value, { stream: true });
  if (process.env.RECORD) {
    for (let tries = 0; tries < 200 && spills().length === 0; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(spills()).toHaveLength(1);
  }
  await (await fetch(base + '/rest')).text();
  for (let part = await reader.read(); !part.done; part = await reader.read()) text += decoder.decode(part.value, { stream: true });
  const contents = [...text.matchAll(/"content":"(\\d)\\1*"/g)].map((match) => match[1]).join('');
  expect(contents).toBe(Array.from({ length: ${EVENTS} }, (_, n) => n % 10).join(''));
  expect(text.endsWith('data: [DONE]\\n\\n')).toBe(true);
});
`;

test('a stream larger than what is held in memory is recorded whole through a temporary file, which is gone once written', async () => {
  const p = project({ 'tests/large.test.js': LARGE });
  const tmp = path.join(p.dir, 'tmp');
  fs.mkdirSync(tmp);
  const recorded = await p.run({ RECORD: '1', TMPDIR: tmp });
  expect(statusOf(recorded)).toEqual({ large: 'passed' });
  // Jest keeps its own cache there too.
  expect(fs.readdirSync(tmp).filter((name) => name.startsWith('jest-replay-'))).toEqual([]);
  const [stream] = p.files().filter((file) => file.includes('/large-'));
  const chunks = JSON.parse(p.read(`recordings/${stream}`)).response.body;
  expect(chunks).toHaveLength(EVENTS);
  expect(chunks.map((chunk: { __data__: { choices: { delta: { content: string } }[] } }) => chunk.__data__.choices[0].delta.content)).toEqual(
    Array.from({ length: EVENTS }, (_, n) => String(n % 10).repeat(65536)),
  );
  const replayed = await p.run({ TMPDIR: tmp });
  expect(statusOf(replayed)).toEqual({ large: 'passed' });
  expect(replayed.stderr).toMatch(/replay mode — 2 replayed, 0 recorded, 0 missing, 0 unused/);
}, 60_000);

test('a large stream that cannot go to a temporary file fails its test naming the folder; nothing is written', async () => {
  const p = project({ 'tests/large.test.js': LARGE }, { cacheDirectory: '<rootDir>/.jest-cache' });
  // A file where the temporary folder should be.
  p.write('not-a-folder', '');
  const recorded = await p.run({ RECORD: '1', TMPDIR: path.join(p.dir, 'not-a-folder') });
  expect(statusOf(recorded)).toEqual({ large: 'failed' });
  expect(recorded.output).toMatch(/could not keep a large response body in a temporary file under .*not-a-folder \(ENOTDIR/);
  expect(p.files().filter((file) => file.includes('/large-'))).toEqual([]);
}, 60_000);
