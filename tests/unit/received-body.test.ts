import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ReceivedBody } from '../../src/core/session/received-body';

/** A body being recorded: held while small, spilled (encrypted) to a temporary file once large, read back on demand. */

let tmpDir: string;
beforeEach(() => (tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'received-body-'))));
afterEach(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

const filesUnder = (dir: string): string[] =>
  fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
const joined = (body: Iterable<Uint8Array>) => Buffer.concat([...body]);
const parts = (count: number, size: number) => Array.from({ length: count }, (_, n) => Buffer.alloc(size, `${n % 10}`));

test('a body no larger than the threshold is held as received: no file', () => {
  const body = new ReceivedBody({ spillAt: 1000, tmpDir });
  const received = parts(4, 250);
  for (const part of received) body.add(part);
  body.end();
  expect(body.spilled).toBe(false);
  expect(filesUnder(tmpDir)).toEqual([]);
  expect([...body]).toEqual(received);
});

test('past the threshold every byte goes to one temporary file, read back whole each time the body is read', () => {
  const body = new ReceivedBody({ spillAt: 1000, tmpDir, readStep: 300 });
  const received = parts(10, 250);
  for (const part of received) body.add(part);
  body.end();
  expect(body.spilled).toBe(true);
  const files = filesUnder(tmpDir);
  expect(files).toHaveLength(1);
  expect(fs.statSync(files[0]).size).toBe(2500);
  // Read back in steps, not as one buffer, and as often as asked.
  expect([...body].map((piece) => piece.byteLength)).toEqual([300, 300, 300, 300, 300, 300, 300, 300, 100]);
  expect(joined(body)).toEqual(Buffer.concat(received));
  expect(joined(body)).toEqual(Buffer.concat(received));
});

test('the spilled bytes are not readable on disk: a credential the server echoed is not in the file', () => {
  const body = new ReceivedBody({ spillAt: 10, tmpDir });
  const secret = 'sk-proj-0123456789abcdefSECRET';
  body.add(Buffer.from(`data: {"echo": "${secret}"}\n\n`.repeat(20)));
  body.end();
  const [file] = filesUnder(tmpDir);
  expect(fs.readFileSync(file).includes(secret)).toBe(false);
  expect(fs.statSync(file).mode & 0o077).toBe(0);
  expect(joined(body).toString()).toContain(secret);
});

test('release deletes the temporary file; reading the body after it is an error, not an empty body', () => {
  const body = new ReceivedBody({ spillAt: 10, tmpDir });
  body.add(Buffer.alloc(100, 'a'));
  body.end();
  body.release();
  expect(filesUnder(tmpDir)).toEqual([]);
  expect(fs.readdirSync(tmpDir)).toEqual([]);
  expect(() => [...body]).toThrow(/released/);
});

test('a body that cannot be spilled fails naming the folder and the cause', () => {
  const body = new ReceivedBody({ spillAt: 10, tmpDir: path.join(tmpDir, 'missing', 'folder') });
  expect(() => body.add(Buffer.alloc(100))).toThrow(/could not keep a large response body in a temporary file under .*missing.*folder.*ENOENT/);
});

test('by default 16 MiB are held in memory, and the first byte beyond goes to the file with them', () => {
  const body = new ReceivedBody({ tmpDir });
  body.add(Buffer.alloc(16 * 2 ** 20, 'a'));
  expect(body.spilled).toBe(false);
  body.add(Buffer.from('b'));
  body.end();
  expect(body.spilled).toBe(true);
  expect(fs.statSync(filesUnder(tmpDir)[0]).size).toBe(16 * 2 ** 20 + 1);
  body.release();
});
