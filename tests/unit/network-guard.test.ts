import { isLoopback } from '../../src/core/hosts';
import { mayConnect } from '../../src/interception/network-guard';

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
