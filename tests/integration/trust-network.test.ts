import { failureOf, type JestRun, statusOf } from '../support/fixture';
import { useProjects } from '../support/lifecycle';

/**
 * Replay mode keeps every test inside the machine: besides TCP (see trust-secrets.test.ts), UDP, DNS, names that
 * resolve elsewhere and worker threads are refused. Nothing here sends a packet outside loopback once the guard
 * works: the outside addresses are TEST-NET (192.0.2.0/24, never routed) and names resolve through custom lookups.
 * Each refused case asserts jest-replay's own message, so a call failing for another reason (no network) tells.
 */
const project = useProjects('trust-network');

const HELPERS = `
const dgram = require('dgram');
const dns = require('dns');
const http = require('http');
const net = require('net');
const { Worker } = require('worker_threads');

// Stands in for a name that resolves outside the machine (an /etc/hosts entry, a DNS answer).
const resolvingTo = (address) => (host, options, callback) =>
  options.all ? callback(null, [{ address, family: 4 }]) : callback(null, address, 4);
const elsewhere = resolvingTo('192.0.2.1');
const toLoopback = resolvingTo('127.0.0.1');
const outcome = (socket) => new Promise((resolve) => {
  // Without the guard the connection would hang: the timeout ends it, and the test fails on the outcome.
  socket.setTimeout(2000, () => { socket.destroy(); resolve({ timedOut: true }); });
  socket.once('error', (error) => resolve({ message: error.message, code: error.code }));
  socket.once('connect', () => { socket.destroy(); resolve({ connected: true }); });
});
const settled = (promise) => promise.then((value) => ({ value }), (error) => ({ message: error.message, code: error.code }));
const listening = (server, ...args) => new Promise((resolve) => server.listen(...args, () => resolve(server.address().port)));
const inWorker = (code) => new Promise((resolve, reject) => {
  const worker = new Worker(code, { eval: true });
  worker.once('message', resolve);
  worker.once('error', reject);
});
`;

const UDP = `${HELPERS}
test('udp send to an outside address', async () => {
  const socket = dgram.createSocket('udp4');
  const error = await new Promise((resolve) => socket.send('ping', 53, '192.0.2.1', resolve));
  socket.close();
  expect(error.message).toContain('jest-replay: UDP to 192.0.2.1:53 refused');
});
test('udp connect to an outside address, error swallowed', async () => {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => undefined);
  await new Promise((resolve) => { socket.once('error', resolve); socket.connect(53, '192.0.2.1', resolve); });
  socket.close();
});
test('udp to a *.localhost name that resolves elsewhere', async () => {
  // A socket's lookup also resolves the address it binds to (0.0.0.0), and node:dgram passes it the family alone.
  const lookup = (host, family, callback) => callback(null, net.isIP(host) ? host : '192.0.2.1', 4);
  const socket = dgram.createSocket({ type: 'udp4', lookup });
  const error = await new Promise((resolve) => socket.send('ping', 53, 'dns.localhost', resolve));
  socket.close();
  expect(error.message).toContain('jest-replay: UDP to dns.localhost refused: it resolved to 192.0.2.1');
});
test('udp on loopback', async () => {
  const server = dgram.createSocket('udp4');
  const received = new Promise((resolve) => server.once('message', (message) => resolve(String(message))));
  await new Promise((resolve) => server.bind(0, '127.0.0.1', resolve));
  const client = dgram.createSocket('udp4');
  client.send('ping', server.address().port, '127.0.0.1');
  expect(await received).toBe('ping');
  client.close();
  server.close();
});
`;

const DNS = `${HELPERS}
test('dns.lookup of an outside name', async () => {
  const error = await new Promise((resolve) => dns.lookup('example.com', resolve));
  expect(error.message).toContain('jest-replay: DNS lookup of example.com refused');
});
test('dns.promises.lookup of an outside name, error swallowed', async () => {
  await dns.promises.lookup('example.org').catch(() => undefined);
});
test('dns.Resolver with custom servers', async () => {
  const resolver = new dns.Resolver({ timeout: 200, tries: 1 });
  resolver.setServers(['192.0.2.53']);
  const error = await new Promise((resolve) => resolver.resolve4('example.com', resolve));
  expect(error.message).toContain('jest-replay: DNS query (resolve4) for example.com to 192.0.2.53 refused');
});
test('dns.promises.Resolver with custom servers, error swallowed', async () => {
  const resolver = new dns.promises.Resolver({ timeout: 200, tries: 1 });
  resolver.setServers(['192.0.2.53']);
  await resolver.resolveTxt('example.com').catch(() => undefined);
});
test('dns.promises.reverse with the system servers', async () => {
  expect((await settled(dns.promises.reverse('192.0.2.1'))).code).toBe('ERR_JEST_REPLAY_NETWORK_ISOLATED');
});
test('dns.resolveMx with the system servers', async () => {
  const error = await new Promise((resolve) => dns.resolveMx('example.com', resolve));
  expect(error.code).toBe('ERR_JEST_REPLAY_NETWORK_ISOLATED');
});
test('dns.lookupService of an outside address', async () => {
  const error = await new Promise((resolve) => dns.lookupService('192.0.2.1', 80, resolve));
  expect(error.message).toContain('jest-replay: DNS lookup of the name of 192.0.2.1 refused');
});
test('a resolver pointed at a DNS server on loopback', async () => {
  const server = dgram.createSocket('udp4');
  const asked = new Promise((resolve) => server.once('message', () => resolve(true)));
  await new Promise((resolve) => server.bind(0, '127.0.0.1', resolve));
  const resolver = new dns.promises.Resolver({ timeout: 200, tries: 1 });
  resolver.setServers(['127.0.0.1:' + server.address().port]);
  const result = await settled(resolver.resolve4('example.com'));
  expect(await asked).toBe(true);
  // The fake server never answers: the query times out, nothing refused it.
  expect(result.code).toBe('ETIMEOUT');
  server.close();
});
`;

const NAMES = `${HELPERS}
test('net.connect to a *.localhost name that resolves elsewhere', async () => {
  const result = await outcome(net.connect({ host: 'api.localhost', port: 80, lookup: elsewhere }));
  expect(result.message).toContain('jest-replay: connection to api.localhost:80 refused: it resolved to 192.0.2.1');
});
test('a custom lookup answering an outside address for localhost, error swallowed', async () => {
  await outcome(net.connect({ host: 'localhost', port: 80, lookup: elsewhere, autoSelectFamily: false }));
});
test('a *.localhost name that resolves to loopback', async () => {
  const server = net.createServer((socket) => socket.end());
  const port = await listening(server, 0, '127.0.0.1');
  expect(await outcome(net.connect({ host: 'api.localhost', port, lookup: toLoopback }))).toEqual({ connected: true });
  server.close();
});
`;

const WORKERS = `${HELPERS}
const FETCH = (url) => \`fetch(\${JSON.stringify(url)}, { signal: AbortSignal.timeout(2000) })
  .then((response) => response.text(), (error) => String(error.cause?.message ?? error.message))
  .then((text) => require('worker_threads').parentPort.postMessage(text));\`;
test('fetch from a worker thread', async () => {
  expect(await inWorker(FETCH('http://192.0.2.1/'))).toContain('jest-replay: connection to 192.0.2.1:80 refused');
});
test('fetch from a worker thread, error swallowed', async () => {
  await inWorker(FETCH('http://192.0.2.1:8080/'));
});
test('a worker with execArgv of its own', async () => {
  const worker = new Worker(FETCH('http://192.0.2.1:8081/'), { eval: true, execArgv: ['--no-warnings'] });
  expect(await new Promise((resolve) => worker.once('message', resolve))).toContain('jest-replay: connection to 192.0.2.1:8081 refused');
});
test('fetch from a worker thread to loopback', async () => {
  const server = http.createServer((request, response) => response.end('hello from loopback'));
  const port = await listening(server, 0, '127.0.0.1');
  expect(await inWorker(FETCH('http://127.0.0.1:' + port + '/'))).toBe('hello from loopback');
  server.close();
});
`;

const PORTS = `${HELPERS}
// 0.0.0.0 is not loopback to the guard, but Linux connects it to this machine: a connection the guard lets through lands
// on this loopback server, so what it accepted shows whether a connection was attempted, with no remote host at all.
let server, port, accepted = 0;
beforeAll(async () => {
  server = net.createServer((socket) => { accepted++; socket.destroy(); });
  port = await listening(server, 0, '127.0.0.1');
});
afterAll(() => server.close());
const attempt = async (connect) => {
  const before = accepted;
  const socket = new net.Socket();
  const result = outcome(socket);
  connect(socket);
  const connecting = socket.connecting;
  return { connecting, ...(await result), accepted: accepted - before };
};
const refusedAtOnce = (result) => expect(result).toEqual({
  connecting: false, accepted: 0, code: 'ERR_JEST_REPLAY_NETWORK_ISOLATED',
  message: expect.stringContaining('jest-replay: connection to 0.0.0.0:' + port + ' refused'),
});
test.each([
  ['a port with a newline', (p) => p + '\\n'],
  ['a port after a space', (p) => ' ' + p],
  ['a port in hex', (p) => '0x' + p.toString(16)],
])('socket.connect with %s', async (_, form) => {
  refusedAtOnce(await attempt((socket) => socket.connect(form(port), '0.0.0.0')));
  refusedAtOnce(await attempt((socket) => socket.connect({ host: '0.0.0.0', port: form(port) })));
});
test('an array of options with a host of its own', async () => {
  const options = Object.assign([{ host: '127.0.0.1', port }], { host: '0.0.0.0', port });
  refusedAtOnce(await attempt((socket) => socket.connect(options)));
});
test('options whose host answers otherwise when read again', async () => {
  const looked = [];
  let reads = 0;
  const lookup = (host, options, callback) => { looked.push(host); callback(Object.assign(new Error('not here'), { code: 'ENOTFOUND' })); };
  const options = { get host() { return reads++ === 0 ? '127.0.0.1' : 'outside.example'; }, port, lookup };
  expect(await attempt((socket) => socket.connect(options))).toMatchObject({ connected: true, accepted: 1 });
  expect(looked).toEqual([]);
});
test('udp from new dgram.Socket() to a *.localhost name that resolves elsewhere', async () => {
  const lookup = (host, family, callback) => callback(null, net.isIP(host) ? host : '0.0.0.0', 4);
  const socket = new dgram.Socket({ type: 'udp4', lookup });
  const error = await new Promise((resolve) => socket.send('ping', 53, 'dns.localhost', resolve));
  socket.close();
  expect(error).toMatchObject({ code: 'ERR_JEST_REPLAY_NETWORK_ISOLATED', message: expect.stringContaining('UDP to dns.localhost refused: it resolved to 0.0.0.0') });
});
`;

/** The failure of a refused test: jest-replay's message, and no failed assertion of the test's own. */
function refusal(run: JestRun, test: string): string {
  const message = failureOf(run, test);
  expect(message).toContain('jest-replay: ');
  expect(message).not.toMatch(/expect\(/);
  return message;
}

let run: JestRun;
beforeAll(async () => {
  const p = project({ 'tests/udp.test.js': UDP, 'tests/dns.test.js': DNS, 'tests/names.test.js': NAMES, 'tests/workers.test.js': WORKERS, 'tests/ports.test.js': PORTS });
  run = await p.run({}, ['--runInBand']);
});

test('UDP to an address that is not loopback is refused, and fails its test', () => {
  expect(statusOf(run)).toMatchObject({
    'udp send to an outside address': 'failed',
    'udp connect to an outside address, error swallowed': 'failed',
    'udp to a *.localhost name that resolves elsewhere': 'failed',
    'udp on loopback': 'passed',
  });
  expect(refusal(run, 'udp send to an outside address')).toContain(
    'jest-replay: UDP to 192.0.2.1:53 refused: replay mode allows only loopback hosts. ' +
      'If the test needs 192.0.2.1 (a test database, say), add it to testEnvironmentOptions.replay.allowHosts.',
  );
  expect(refusal(run, 'udp connect to an outside address, error swallowed')).toContain('jest-replay: UDP to 192.0.2.1:53 refused');
  expect(refusal(run, 'udp to a *.localhost name that resolves elsewhere')).toContain(
    'jest-replay: UDP to dns.localhost refused: it resolved to 192.0.2.1, and replay mode allows only loopback addresses.',
  );
});

test('DNS lookups and queries that would leave the machine are refused before they are sent', () => {
  expect(statusOf(run)).toMatchObject({
    'dns.lookup of an outside name': 'failed',
    'dns.promises.lookup of an outside name, error swallowed': 'failed',
    'dns.Resolver with custom servers': 'failed',
    'dns.promises.Resolver with custom servers, error swallowed': 'failed',
    'dns.promises.reverse with the system servers': 'failed',
    'dns.resolveMx with the system servers': 'failed',
    'dns.lookupService of an outside address': 'failed',
    'a resolver pointed at a DNS server on loopback': 'passed',
  });
  expect(refusal(run, 'dns.lookup of an outside name')).toContain(
    'jest-replay: DNS lookup of example.com refused: replay mode allows only loopback hosts. If the test needs example.com',
  );
  expect(refusal(run, 'dns.promises.lookup of an outside name, error swallowed')).toContain(
    'jest-replay: DNS lookup of example.org refused',
  );
  expect(refusal(run, 'dns.Resolver with custom servers')).toContain(
    'jest-replay: DNS query (resolve4) for example.com to 192.0.2.53 refused',
  );
  expect(refusal(run, 'dns.promises.Resolver with custom servers, error swallowed')).toContain(
    'jest-replay: DNS query (resolveTxt) for example.com to 192.0.2.53 refused',
  );
  expect(refusal(run, 'dns.promises.reverse with the system servers')).toContain('jest-replay: DNS query (reverse) for 192.0.2.1 to ');
  expect(refusal(run, 'dns.resolveMx with the system servers')).toContain('jest-replay: DNS query (resolveMx) for example.com to ');
  expect(refusal(run, 'dns.lookupService of an outside address')).toContain(
    'jest-replay: DNS lookup of the name of 192.0.2.1 refused: replay mode allows only loopback hosts.',
  );
});

test('a connection is refused when its name resolves to an address that is not loopback', () => {
  expect(statusOf(run)).toMatchObject({
    'net.connect to a *.localhost name that resolves elsewhere': 'failed',
    'a custom lookup answering an outside address for localhost, error swallowed': 'failed',
    'a *.localhost name that resolves to loopback': 'passed',
  });
  expect(refusal(run, 'net.connect to a *.localhost name that resolves elsewhere')).toContain(
    'jest-replay: connection to api.localhost:80 refused: it resolved to 192.0.2.1, and replay mode allows only loopback addresses. ' +
      'If the test needs api.localhost (a test database, say), add it to testEnvironmentOptions.replay.allowHosts.',
  );
  expect(refusal(run, 'a custom lookup answering an outside address for localhost, error swallowed')).toContain(
    'jest-replay: connection to localhost:80 refused: it resolved to 192.0.2.1',
  );
});

test('worker threads are guarded too: their refusals fail the test', () => {
  expect(statusOf(run)).toMatchObject({
    'fetch from a worker thread': 'failed',
    'fetch from a worker thread, error swallowed': 'failed',
    'a worker with execArgv of its own': 'failed',
    'fetch from a worker thread to loopback': 'passed',
  });
  expect(refusal(run, 'fetch from a worker thread')).toContain(
    'jest-replay: connection to 192.0.2.1:80 refused: replay mode allows only loopback hosts.',
  );
  expect(refusal(run, 'fetch from a worker thread, error swallowed')).toContain('jest-replay: connection to 192.0.2.1:8080 refused');
  expect(refusal(run, 'fetch from a worker thread, error swallowed')).toContain('in a worker thread');
  expect(refusal(run, 'a worker with execArgv of its own')).toContain('jest-replay: connection to 192.0.2.1:8081 refused');
});

test('every form of connect() is judged as Node reads it: ports as strings, arrays of options, getters; new dgram.Socket() too', () => {
  const refused = [
    'socket.connect with a port with a newline',
    'socket.connect with a port after a space',
    'socket.connect with a port in hex',
    'an array of options with a host of its own',
  ];
  expect(statusOf(run)).toMatchObject({
    ...Object.fromEntries(refused.map((name) => [name, 'failed'])),
    'options whose host answers otherwise when read again': 'passed',
    'udp from new dgram.Socket() to a *.localhost name that resolves elsewhere': 'failed',
  });
  for (const name of refused) expect(refusal(run, name)).toMatch(/jest-replay: connection to 0\.0\.0\.0:\d+ refused: replay mode allows only loopback hosts/);
  expect(refusal(run, 'udp from new dgram.Socket() to a *.localhost name that resolves elsewhere')).toContain(
    'jest-replay: UDP to dns.localhost refused: it resolved to 0.0.0.0, and replay mode allows only loopback addresses.',
  );
});
