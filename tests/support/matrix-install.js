#!/usr/bin/env node
// Installs the compatibility matrix's packages (tests/matrix: a second Jest major, openai v4, a Node 22 binary) for
// `npm test`, unless they are installed already as its lock file says: a clean clone gets them on its first `npm test`,
// later runs lose no time. Kept out of `npm install`, so installing jest-replay runs no script.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');


/**
 * Whether npm's record of what it installed (node_modules/.package-lock.json) holds every package of the lock file at
 * its version, and nothing else. Optional packages for other platforms (fsevents) are never installed.
 */
function installedAsLocked(lock, installed) {
  if (!installed) return false;
  const locked = Object.entries(lock.packages).filter(([where]) => where !== '');
  const present = installed.packages;
  const missing = locked.filter(([where, entry]) => !entry.optional && present[where]?.version !== entry.version);
  const stray = Object.entries(present).filter(([where, entry]) => lock.packages[where]?.version !== entry.version);
  return missing.length === 0 && stray.length === 0;
}

function readJson(file) {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
}

/** `matrix`: the folder to install (tests/matrix unless given). Returns the exit code. */
function main(matrix = path.resolve(__dirname, '..', 'matrix')) {
  const modules = path.join(matrix, 'node_modules');
  const lock = readJson(path.join(matrix, 'package-lock.json'));
  if (installedAsLocked(lock, readJson(path.join(modules, '.package-lock.json')))) return 0;
  // A link (a git worktree sharing another checkout's install) belongs to that checkout: `npm ci` would empty it.
  if (fs.lstatSync(modules, { throwIfNoEntry: false })?.isSymbolicLink()) {
    process.stderr.write(
      `${modules} links to ${fs.readlinkSync(modules)}, whose packages do not match ${matrix}/package-lock.json: ` +
        `not installing through the link. Remove the link (rm ${modules}) to install here.\n`,
    );
    return 1;
  }
  process.stderr.write(`Installing the compatibility matrix (${matrix})…\n`);
  const windows = process.platform === 'win32';
  const args = ['ci', '--prefix', matrix, '--no-audit', '--no-fund'];
  const run = spawnSync(windows ? 'npm.cmd' : 'npm', args, { stdio: 'inherit', shell: windows });
  return run.status ?? 1;
}

module.exports = { installedAsLocked };
if (require.main === module) process.exitCode = main(process.argv[2]);
