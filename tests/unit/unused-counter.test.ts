import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { walkTreeListed } from '../../src/core/store/listing-cache';
import type { FileUsage } from '../../src/core/store/usage';
import { startCounting, UnusedCounter } from '../../src/jest/unused-counter';

let dir: string;
let listing: string;
const put = (file: string) => (fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true }), fs.writeFileSync(path.join(dir, file), '{}'));
const used = (file: string): FileUsage[] => [
  { mode: 'replay', recordings: 'recordings', testFile: 'tests/a.test.js', scopes: [{ id: 'tests/a.test.js::a', status: 'passed', mode: 'replay', replayed: [file], written: [], missed: [] }] } as unknown as FileUsage,
];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-counted-'));
  listing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-usage-')), 'listing.json');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(path.dirname(listing), { recursive: true, force: true });
});

test('a small tree listed by an earlier run is counted on this thread; a tree never listed, or a large one, on another', async () => {
  put('tests/a.test.js/a-1/aaaaaaaaaaaaaaaa.json');
  put('tests/gone.test.js/gone-2/bbbbbbbbbbbbbbbb.json');
  const first = startCounting({ dir, listing });
  expect(first).toBeInstanceOf(UnusedCounter);
  first.stop();
  walkTreeListed(dir, listing);
  const small = startCounting({ dir, listing });
  expect(small).not.toBeInstanceOf(UnusedCounter);
  await expect(small.count(used('tests/a.test.js/a-1/aaaaaaaaaaaaaaaa.json'), true, [])).resolves.toMatchObject({ unused: 1 });
  fs.writeFileSync(listing, JSON.stringify({ padding: 'x'.repeat(70 * 1024) }));
  const large = startCounting({ dir, listing });
  expect(large).toBeInstanceOf(UnusedCounter);
  await expect(large.count(used('tests/a.test.js/a-1/aaaaaaaaaaaaaaaa.json'), true, [])).resolves.toMatchObject({ unused: 1 });
  large.stop();
});
