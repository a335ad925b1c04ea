import dgram = require('node:dgram');
import dns = require('node:dns');
import * as net from 'node:net';
import workerThreads = require('node:worker_threads');
import { guardNetwork } from '../../src/interception/network-guard';
import { sendDestination } from '../../src/interception/network-guard/datagrams';
import { connectTarget, portOf } from '../../src/interception/network-guard/sockets';
import {
  isAllowedName,
  isLoopback,
  mayConnect,
  mayLookUp,
  mayReachAddress,
  queriesStayLocal,
  refusal,
} from '../../src/interception/network-guard/hosts';
import { RefusalLog, WORKER_GUARD_SETTINGS } from '../../src/interception/network-guard/workers';

test.each(['localhost', 'LOCALHOST', 'api.localhost', '127.0.0.1', '127.9.8.7', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
  expect(isLoopback(host)).toBe(true);
});

test.each(['10.255.255.1', '192.168.1.1', '128.0.0.1', 'example.com', 'localhost.example.com', '::2', '::ffff:10.0.0.1'])('%s is not loopback', (host) => {
  expect(isLoopback(host)).toBe(false);
});

test('allowed hosts by name, or by name and port', () => {
  const allowed = ['db.internal', 'cache.internal:6379'];
  expect(mayConnect('DB.internal', 5432, allowed)).toBe(true);
  expect(mayConnect('cache.internal', 6379, allowed)).toBe(true);
  expect(mayConnect('cache.internal', 6380, allowed)).toBe(false);
  expect(mayConnect('api.openai.com', 443, allowed)).toBe(false);
});

test('a refusal names the host with what a terminal would act on escaped', () => {
  const host = 'evil\u001b]8;;http://x\u0007.example\u202e';
  const { message } = refusal(`DNS lookup of ${host}`, host);
  expect(message).toContain('DNS lookup of evil\\x1b]8;;http://x\\x07.example\\u202e refused');
  expect(message).toContain('If the test needs evil\\x1b]8;;http://x\\x07.example\\u202e (a test database');
  expect(message).not.toMatch(/[\u0000-\u001f\u202e]/);
});

test('a host allowed with any port may be looked up', () => {
  const allowed = ['db.internal', 'cache.internal:6379'];
  expect(isAllowedName('CACHE.internal', allowed)).toBe(true);
  expect(isAllowedName('db.internal', allowed)).toBe(true);
  expect(isAllowedName('cache', allowed)).toBe(false);
  expect(isAllowedName('internal', allowed)).toBe(false);
});

test('dns.lookup stays on the machine for IP literals and loopback names, and is allowed for allowed hosts', () => {
  const allowed = ['db.internal:5432'];
  for (const host of ['192.0.2.1', '2001:db8::1', 'localhost', 'api.localhost', 'db.internal']) expect(mayLookUp(host, allowed)).toBe(true);
  for (const host of ['example.com', 'localhost.example.com', 'db']) expect(mayLookUp(host, allowed)).toBe(false);
});

test('a name resolved elsewhere may be reached only if it is allowed', () => {
  expect(mayReachAddress('api.localhost', '127.0.0.1', [])).toBe(true);
  expect(mayReachAddress('api.localhost', '::1', [])).toBe(true);
  expect(mayReachAddress('api.localhost', '192.0.2.1', [])).toBe(false);
  expect(mayReachAddress('db.internal', '192.0.2.1', ['db.internal:5432'])).toBe(true);
  expect(mayReachAddress('db.localhost', '192.0.2.1', ['192.0.2.1'])).toBe(true);
});

test('DNS queries stay local only when sent to loopback servers of the test, not to the system resolver', () => {
  const system = ['127.0.0.53'];
  expect(queriesStayLocal(['127.0.0.1:5353'], system)).toBe(true);
  expect(queriesStayLocal(['[::1]:5353', '::1'], system)).toBe(true);
  // systemd-resolved's stub listens on loopback and forwards outside.
  expect(queriesStayLocal(['127.0.0.53'], system)).toBe(false);
  expect(queriesStayLocal(['127.0.0.1:5353', '192.0.2.53'], system)).toBe(false);
  expect(queriesStayLocal(['8.8.8.8'], system)).toBe(false);
  expect(queriesStayLocal([], system)).toBe(false);
});

test.each([
  [['ping', 53, '192.0.2.1'], { host: '192.0.2.1', port: 53 }],
  [['ping', 53, '192.0.2.1', () => undefined], { host: '192.0.2.1', port: 53 }],
  [['ping', 0, 4, 53, 'dns.example'], { host: 'dns.example', port: 53 }],
  [['ping', 0, 4, 53, 'dns.example', () => undefined], { host: 'dns.example', port: 53 }],
  [['ping', 53], { host: 'localhost', port: 53 }],
  [['ping', 53, () => undefined], { host: 'localhost', port: 53 }],
  [['ping', 0, 4, 53], { host: 'localhost', port: 53 }],
])('send(%p) goes to %p', (args, destination) => {
  expect(sendDestination(args)).toEqual(destination);
});

test.each([
  ['80\n', 80],
  [' 80', 80],
  ['0x50', 80],
  ['0o120', 80],
  ['1e1', 10],
  [443, 443],
  ['', undefined],
  [' ', undefined],
  ['-1', undefined],
  ['1.5', undefined],
  [65536, undefined],
  ['http', undefined],
  [null, undefined],
])('Node reads the port %p as %p', (given, port) => {
  expect(portOf(given)).toBe(port);
});

test.each([
  [['80\n', '192.0.2.1'], { host: '192.0.2.1', port: 80 }],
  [[' 80'], { host: 'localhost', port: 80 }],
  [[{ host: '192.0.2.1', port: '0x50' }], { host: '192.0.2.1', port: 80 }],
  [[{ port: 80 }, () => undefined], { host: 'localhost', port: 80 }],
  [[Object.assign([{ host: '127.0.0.1', port: 80 }], { host: '192.0.2.1', port: 81 })], { host: '192.0.2.1', port: 81 }],
  [['/tmp/db.sock'], undefined],
  [[{ path: '/tmp/db.sock', host: '192.0.2.1', port: 80 }], undefined],
])('connect(%p) goes to %p', (args, destination) => {
  expect(connectTarget(args).destination).toEqual(destination);
});

test('connect() goes on with the host, port and path as judged, read once', () => {
  let reads = 0;
  const options = { get host() { return reads++ === 0 ? '127.0.0.1' : '192.0.2.1'; }, port: 80, noDelay: true };
  const { destination, args } = connectTarget([options]);
  expect(destination).toEqual({ host: '127.0.0.1', port: 80 });
  const [[judged]] = args as [[Record<string, unknown>]];
  expect([judged.host, judged.host, judged.port, judged.noDelay]).toEqual(['127.0.0.1', '127.0.0.1', 80, true]);
  expect(reads).toBe(1);
});

test('the refusal log hands over what any view of its memory wrote, once', () => {
  const log = new RefusalLog();
  // A worker thread writes through its own log over the same shared memory.
  const inWorker = new RefusalLog(log.buffer);
  log.write('jest-replay: connection to 192.0.2.1:80 refused');
  inWorker.write('jest-replay: DNS lookup of example.com refused');
  expect(log.take()).toEqual(['jest-replay: connection to 192.0.2.1:80 refused', 'jest-replay: DNS lookup of example.com refused']);
  expect(log.take()).toEqual([]);
});

test('a full refusal log keeps what it holds', () => {
  const log = new RefusalLog(new SharedArrayBuffer(8 + 16));
  log.write('twelve bytes');
  log.write('does not fit');
  expect(log.take()).toEqual(['twelve bytes']);
});

test('dispose puts back every function the guard replaced, and Workers start unguarded again', () => {
  const replaced = () => [
    net.Socket.prototype.connect,
    dgram.Socket.prototype.send,
    dgram.Socket.prototype.connect,
    dgram.createSocket,
    dns.lookup,
    dns.promises.lookup,
    dns.lookupService,
    dns.resolve4,
    dns.promises.reverse,
    dns.Resolver.prototype.resolveTxt,
    dns.promises.Resolver.prototype.resolve4,
    workerThreads.Worker,
  ];
  const before = replaced();
  const guard = guardNetwork({ allowHosts: [], onRefused: () => undefined });
  const during = replaced();
  expect(during.filter((fn, i) => fn === before[i])).toEqual([]);
  expect(workerThreads.getEnvironmentData(WORKER_GUARD_SETTINGS)).toBeDefined();
  guard.dispose();
  expect(replaced()).toEqual(before);
  expect(workerThreads.getEnvironmentData(WORKER_GUARD_SETTINGS)).toBeUndefined();
});
