import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256 } from '../util/hash';
import { linkTarget, listEntries, reasonOf, type Tree, writeFileAtomically } from './storage';
import { LISTING_PREFIX } from './usage';

/**
 * The recordings tree as the last run listed it, kept in the usage directory so the next run (or the next run of
 * watch mode) lists again only the folders that changed. A folder's modification time changes whenever an entry
 * is added, removed or renamed in it, so a folder whose time is unchanged holds what it held: one `stat` instead
 * of a listing. A folder changed within `RACY_MS` of its listing may have changed again within the same tick of
 * the file system's clock, unseen: it is listed again next time.
 */

const RACY_MS = 2_000;
const VERSION = 1;

interface ListedFolder {
  mtimeMs: number;
  /** Whether the listing can be trusted while `mtimeMs` is unchanged (see `RACY_MS`). */
  settled: boolean;
  files: string[];
  folders: string[];
  links: { name: string; target: string }[];
}

interface Listing {
  version: number;
  dir: string;
  folders: Record<string, ListedFolder>;
}

/** Where the listing of `dir` is kept in `usageDir`. */
export const listingFile = (usageDir: string, dir: string) => path.join(usageDir, `${LISTING_PREFIX}${sha256(dir).slice(0, 12)}.json`);

function readListing(file: string, dir: string): Record<string, ListedFolder> {
  try {
    const listing = JSON.parse(fs.readFileSync(file, 'utf8')) as Listing;
    return listing.version === VERSION && listing.dir === dir ? listing.folders : {};
  } catch {
    // None yet, or not one: everything is listed.
    return {};
  }
}

function listFolder(folder: string, mtimeMs: number, listedAt: number): ListedFolder {
  const listed: ListedFolder = { mtimeMs, settled: mtimeMs < listedAt - RACY_MS, files: [], folders: [], links: [] };
  for (const entry of listEntries(folder)) {
    if (entry.isDirectory()) listed.folders.push(entry.name);
    else if (entry.isFile()) listed.files.push(entry.name);
    else if (entry.isSymbolicLink()) listed.links.push({ name: entry.name, target: linkTarget(path.join(folder, entry.name)) });
  }
  return listed;
}

/** `walkTree(dir)`, from the listing kept in `file` for the folders that did not change; the listing is then updated. */
export function walkTreeListed(dir: string, file: string): Tree {
  const previous = readListing(file, dir);
  const next: Record<string, ListedFolder> = {};
  const tree: Tree = { files: [], links: [], unreadable: [] };
  const listedAt = Date.now();
  // Whether the listing kept differs from the tree's: only then is it written again.
  let changed = false;
  const walk = (prefix: string) => {
    const folder = path.join(dir, prefix);
    let listed: ListedFolder;
    try {
      const { mtimeMs } = fs.statSync(folder);
      const known = previous[prefix];
      const reused = known?.settled && known.mtimeMs === mtimeMs;
      listed = reused ? known : listFolder(folder, mtimeMs, listedAt);
      changed ||= !reused;
    } catch (error) {
      // Gone meanwhile, or no tree at all yet: nothing there, as for `walkTree`.
      const gone = ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code!);
      if (!gone) tree.unreadable.push({ path: prefix, reason: reasonOf(error) });
      return;
    }
    next[prefix] = listed;
    const join = (name: string) => (prefix === '' ? name : `${prefix}/${name}`);
    for (const name of listed.files) tree.files.push(join(name));
    tree.links.push(...listed.links.map(({ name, target }) => ({ path: join(name), target })));
    for (const name of listed.folders) walk(join(name));
  };
  walk('');
  // A folder gone since is the only change a walk of reused folders cannot see.
  if (!changed && Object.keys(next).length === Object.keys(previous).length) return tree;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomically(file, JSON.stringify({ version: VERSION, dir, folders: next } satisfies Listing));
  } catch {
    // Only the next run's listing is slower.
  }
  return tree;
}
