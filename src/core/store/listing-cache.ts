import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256 } from '../util/hash';
import { linkTarget, listEntries, reasonOf, type Tree, writeFileAtomically } from './storage';
import { isRecordingIn } from './paths';
import { LISTING_PREFIX } from './usage';

/**
 * The recordings tree as the last run listed it, kept in the usage directory so the next run (or the next run of
 * watch mode) lists again only the folders that changed. A folder's modification time changes whenever an entry
 * is added, removed or renamed in it, so a folder whose time is unchanged holds what it held: one `stat` instead
 * of a listing. A folder changed within `RACY_MS` of its listing may have changed again within the same tick of
 * the file system's clock, unseen: it is listed again next time.
 */

const RACY_MS = 2_000;
const VERSION = 2;

/** A folder as listed: what a run counts its unused recordings from. */
export interface ListedFolder {
  mtimeMs: number;
  /** Whether the listing can be trusted while `mtimeMs` is unchanged (see `RACY_MS`). */
  settled: boolean;
  /**
   * Its files' names, joined by `/` (which no name holds): one string per folder parses fast, where a tree of
   * 100,000 recordings would be 100,000 strings. Split only for the folders a run used (see `filesOf`).
   */
  files: string;
  /** How many of its files are recordings (see `isRecordingIn`). */
  recordings: number;
  folders: string[];
  links: { name: string; target: string }[];
}

interface Listing {
  version: number;
  dir: string;
  folders: Record<string, ListedFolder>;
}

/** A recordings tree by folder (relative, `''` for the directory itself), with its links and the folders that could not be read. */
export interface FolderTree {
  folders: Map<string, ListedFolder>;
  links: Tree['links'];
  unreadable: Tree['unreadable'];
}

/** Where the listing of `dir` is kept in `usageDir`. */
export const listingFile = (usageDir: string, dir: string) => path.join(usageDir, `${LISTING_PREFIX}${sha256(dir).slice(0, 12)}.json`);

/** The names of a listed folder's files. */
export const filesOf = (folder: ListedFolder): string[] => (folder.files === '' ? [] : folder.files.split('/'));

function readListing(file: string, dir: string): Record<string, ListedFolder> {
  try {
    const listing = JSON.parse(fs.readFileSync(file, 'utf8')) as Listing;
    return listing.version === VERSION && listing.dir === dir ? listing.folders : {};
  } catch {
    // None yet, or not one: everything is listed.
    return {};
  }
}

function listFolder(folder: string, prefix: string, mtimeMs: number, listedAt: number): ListedFolder {
  const files: string[] = [];
  const listed: ListedFolder = { mtimeMs, settled: mtimeMs < listedAt - RACY_MS, files: '', recordings: 0, folders: [], links: [] };
  for (const entry of listEntries(folder)) {
    if (entry.isDirectory()) listed.folders.push(entry.name);
    else if (entry.isFile()) files.push(entry.name);
    else if (entry.isSymbolicLink()) listed.links.push({ name: entry.name, target: linkTarget(path.join(folder, entry.name)) });
  }
  listed.files = files.join('/');
  listed.recordings = files.filter((name) => isRecordingIn(prefix, name)).length;
  return listed;
}

/**
 * The tree under `dir` by folder, as `walkTree` sees it. With `file`, from the listing kept there for the folders that
 * did not change, and the listing is then updated (written again only when a folder changed).
 */
export function listFolders(dir: string, file?: string): FolderTree {
  const previous = file ? readListing(file, dir) : {};
  const tree: FolderTree = { folders: new Map(), links: [], unreadable: [] };
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
      listed = reused ? known : listFolder(folder, prefix, mtimeMs, listedAt);
      changed ||= !reused;
    } catch (error) {
      // Gone meanwhile, or no tree at all yet: nothing there, as for `walkTree`.
      const gone = ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code!);
      if (!gone) tree.unreadable.push({ path: prefix, reason: reasonOf(error) });
      return;
    }
    tree.folders.set(prefix, listed);
    const join = (name: string) => (prefix === '' ? name : `${prefix}/${name}`);
    tree.links.push(...listed.links.map(({ name, target }) => ({ path: join(name), target })));
    for (const name of listed.folders) walk(join(name));
  };
  walk('');
  // A folder gone since is the only change a walk of reused folders cannot see.
  if (!file || (!changed && tree.folders.size === Object.keys(previous).length)) return tree;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomically(file, JSON.stringify({ version: VERSION, dir, folders: Object.fromEntries(tree.folders) } satisfies Listing));
  } catch {
    // Only the next run's listing is slower.
  }
  return tree;
}
