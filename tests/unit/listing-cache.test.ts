import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { filesOf, listFolders } from '../../src/core/store/listing-cache';
import { walkTree } from '../../src/core/store/storage';

/** The recordings tree listed again only where it changed since the last listing. */

let dir: string;
let listing: string;
const at = (...parts: string[]) => path.join(dir, ...parts);
const put = (file: string) => (fs.mkdirSync(path.dirname(at(file)), { recursive: true }), fs.writeFileSync(at(file), '{}'));
/** Every folder's modification time set a minute back: changed long before any listing. */
function settle(folder = dir): void {
  const old = new Date(Date.now() - 60_000);
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) if (entry.isDirectory()) settle(path.join(folder, entry.name));
  fs.utimesSync(folder, old, old);
}
const sorted = (tree: ReturnType<typeof walkTree>) => ({ ...tree, files: [...tree.files].sort() });
/** The listed tree as `walkTree` gives it: every file's relative path. */
function walkTreeListed(root: string, file: string): ReturnType<typeof walkTree> {
  const { folders, links, unreadable } = listFolders(root, file);
  const files = [...folders].flatMap(([prefix, listed]) => filesOf(listed).map((name) => (prefix === '' ? name : `${prefix}/${name}`)));
  return { files, links, unreadable };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-listing-'));
  listing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-usage-')), 'listing.json');
  for (const file of ['tests/a.test.js/one-1/aa.json', 'tests/a.test.js/two-2/bb.json', '_shared/models-cc.json']) put(file);
  fs.symlinkSync('/elsewhere', at('tests/link'));
  settle();
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(path.dirname(listing), { recursive: true, force: true });
});

test('lists what walkTree lists, then sees every folder that changed: files added and removed, folders new and gone', () => {
  expect(sorted(walkTreeListed(dir, listing))).toEqual(sorted(walkTree(dir)));
  put('tests/a.test.js/one-1/dd.json');
  put('tests/b.test.js/three-3/ee.json');
  fs.rmSync(at('tests/a.test.js/two-2'), { recursive: true });
  fs.rmSync(at('_shared/models-cc.json'));
  expect(sorted(walkTreeListed(dir, listing))).toEqual(sorted(walkTree(dir)));
  const now = ['tests/a.test.js/one-1/aa.json', 'tests/a.test.js/one-1/dd.json', 'tests/b.test.js/three-3/ee.json'];
  expect(walkTreeListed(dir, listing).files.sort()).toEqual(now);
});

test('does not list again a folder whose modification time did not change', () => {
  walkTreeListed(dir, listing);
  const folder = at('tests/a.test.js/one-1');
  const { atime, mtime } = fs.statSync(folder);
  put('tests/a.test.js/one-1/unseen.json');
  fs.utimesSync(folder, atime, mtime);
  expect(walkTreeListed(dir, listing).files).not.toContain('tests/a.test.js/one-1/unseen.json');
  // A listing that is not one (or of another directory) is no listing: everything is listed.
  fs.writeFileSync(listing, 'not json');
  expect(walkTreeListed(dir, listing).files).toContain('tests/a.test.js/one-1/unseen.json');
});

test('a tree unchanged since its listing leaves the listing file as it was: a run over a large tree rewrites nothing', () => {
  walkTreeListed(dir, listing);
  const written = fs.readFileSync(listing, 'utf8');
  fs.writeFileSync(listing, ` ${written}`);
  expect(sorted(walkTreeListed(dir, listing))).toEqual(sorted(walkTree(dir)));
  expect(fs.readFileSync(listing, 'utf8')).toBe(` ${written}`);
  // A folder gone is a change: written again.
  fs.rmSync(at('tests/a.test.js/two-2'), { recursive: true });
  walkTreeListed(dir, listing);
  expect(JSON.parse(fs.readFileSync(listing, 'utf8')).folders).not.toHaveProperty(['tests/a.test.js/two-2']);
});

test('lists again a folder that changed just before it was listed, which may have changed again unseen within the same tick', () => {
  put('tests/a.test.js/one-1/fresh.json');
  const folder = at('tests/a.test.js/one-1');
  const { atime, mtime } = fs.statSync(folder);
  walkTreeListed(dir, listing);
  put('tests/a.test.js/one-1/same-tick.json');
  fs.utimesSync(folder, atime, mtime);
  expect(walkTreeListed(dir, listing).files).toContain('tests/a.test.js/one-1/same-tick.json');
});

test('a missing directory is an empty tree; the listing is written where it can be, and a run without it still lists', () => {
  expect(walkTreeListed(at('missing'), listing)).toEqual({ files: [], links: [], unreadable: [] });
  // Under a file: no folder can be made there.
  expect(sorted(walkTreeListed(dir, path.join(at('_shared/models-cc.json'), 'listing.json')))).toEqual(sorted(walkTree(dir)));
});
