import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** `npm test` installs the compatibility matrix (tests/matrix) only when it is missing or out of date. */
const SCRIPT = path.join(__dirname, 'matrix-install.js');
const { installedAsLocked } = require(SCRIPT) as { installedAsLocked(lock: unknown, installed: unknown): boolean };

const lock = {
  packages: {
    '': { name: 'jest-replay-matrix' },
    'node_modules/jest': { version: '29.7.0' },
    'node_modules/fsevents': { version: '2.3.3', optional: true },
  },
};

describe('the matrix install that npm test runs', () => {
  test('an install holding every locked package at its version, and nothing else, is up to date', () => {
    expect(installedAsLocked(lock, { packages: { 'node_modules/jest': { version: '29.7.0' } } })).toBe(true);
    // A package for another platform, optional, may be missing.
    const withOptional = { 'node_modules/jest': { version: '29.7.0' }, 'node_modules/fsevents': { version: '2.3.3' } };
    expect(installedAsLocked(lock, { packages: withOptional })).toBe(true);
  });

  test('no install, a missing package, another version or a package the lock does not hold is out of date', () => {
    expect(installedAsLocked(lock, undefined)).toBe(false);
    expect(installedAsLocked(lock, { packages: {} })).toBe(false);
    expect(installedAsLocked(lock, { packages: { 'node_modules/jest': { version: '29.6.0' } } })).toBe(false);
    const stray = { 'node_modules/jest': { version: '29.7.0' }, 'node_modules/left-over': { version: '1.0.0' } };
    expect(installedAsLocked(lock, { packages: stray })).toBe(false);
  });

  test("this checkout's matrix is installed as locked (npm test installed it, or it is up to date)", () => {
    const matrix = path.join(__dirname, '..', 'matrix');
    const read = (file: string) => JSON.parse(fs.readFileSync(path.join(matrix, file), 'utf8'));
    expect(installedAsLocked(read('package-lock.json'), read('node_modules/.package-lock.json'))).toBe(true);
  });

  test('an out-of-date node_modules that is a link (a worktree sharing another checkout’s) is never installed through', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'matrix-install-'));
    try {
      const shared = path.join(dir, 'shared');
      fs.mkdirSync(shared);
      fs.writeFileSync(path.join(shared, 'kept.txt'), 'another checkout’s file');
      fs.mkdirSync(path.join(dir, 'matrix'));
      fs.writeFileSync(path.join(dir, 'matrix', 'package-lock.json'), JSON.stringify(lock));
      fs.symlinkSync(shared, path.join(dir, 'matrix', 'node_modules'), 'dir');
      const run = spawnSync(process.execPath, [SCRIPT, path.join(dir, 'matrix')], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`node_modules links to ${shared}, whose packages do not match`);
      expect(run.stderr).toContain('not installing through the link');
      expect(fs.readdirSync(shared)).toEqual(['kept.txt']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
