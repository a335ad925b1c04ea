import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listFolders } from '../../src/core/store/listing-cache';
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

test('a tree listed by an earlier run is counted on this thread, as the run ends; a tree never listed on another, while the tests run', async () => {
  put('tests/a.test.js/a-1/aaaaaaaaaaaaaaaa.json');
  put('tests/gone.test.js/gone-2/bbbbbbbbbbbbbbbb.json');
  const first = startCounting({ dir, listing });
  expect(first).toBeInstanceOf(UnusedCounter);
  await expect(first.count(used('tests/a.test.js/a-1/aaaaaaaaaaaaaaaa.json'), true, [])).resolves.toMatchObject({ unused: 1 });
  first.stop();
  listFolders(dir, listing);
  const listed = startCounting({ dir, listing });
  expect(listed).not.toBeInstanceOf(UnusedCounter);
  // Counted as the run ends: what the tree holds then.
  put('tests/gone.test.js/gone-2/cccccccccccccccc.json');
  await expect(listed.count(used('tests/a.test.js/a-1/aaaaaaaaaaaaaaaa.json'), true, [])).resolves.toMatchObject({ unused: 2 });
});
