import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanUpRun, clashMessage, staleRecordings } from '../../src/core/store/clean-up';
import { testFolder } from '../../src/core/store/paths';
import type { FileUsage, ScopeUsage } from '../../src/core/store/usage';
import type { Mode } from '../../src/core/mode';

const folder = (id: string) => testFolder(id).split(path.sep).join('/');
const A = 'tests/a.test.js::a';
const SHARED = 'shared::login';
const file = (id: string, key: string) => `${folder(id)}/${key.repeat(16)}.json`;
const scope = (id: string, mode: Mode, status: ScopeUsage['status'], written: string[] = [], replayed: string[] = []): ScopeUsage => ({
  id,
  status,
  mode,
  replayed,
  written: written.map((f) => ({ file: f, outcome: 'created' as const })),
  missed: [],
});
const testFile = (name: string, ...scopes: ScopeUsage[]): FileUsage => ({ mode: 'record', recordings: 'recordings', testFile: name, scopes });
/** Every folder holds the recordings `on disk` lists in it. */
const onDisk = (...files: string[]) => (f: string) => files.filter((name) => path.posix.dirname(name) === f);

test('a test id recorded by one test file whose scopes all passed in record mode: what none of them wrote goes', () => {
  const listing = onDisk(file(A, 'a'), file(A, 'b'), file(A, 'c'));
  const run = [testFile('tests/a.test.js', scope(A, 'record', 'passed', [file(A, 'a')]), scope(A, 'record', 'passed', [file(A, 'b')]))];
  expect(staleRecordings(run, listing)).toEqual({ deleted: [file(A, 'c')], clashes: [] });
});

test('a failed scope, a scope in another mode, or a test that was skipped keeps the folder whole', () => {
  const listing = onDisk(file(A, 'a'), file(A, 'c'));
  for (const other of [scope(A, 'record', 'failed'), scope(A, 'replay', 'passed', [], [file(A, 'c')]), scope(A, 'record-if-missing', 'passed'), scope(A, 'record', 'skipped')]) {
    const run = [testFile('tests/a.test.js', scope(A, 'record', 'passed', [file(A, 'a')]), other)];
    expect(staleRecordings(run, listing).deleted).toEqual([]);
  }
});

test('a test id two test files recorded under is a clash: nothing in its folder goes', () => {
  const listing = onDisk(file(SHARED, 'a'), file(SHARED, 'b'), file(SHARED, 'c'));
  const run = [
    testFile('tests/a.test.js', scope(SHARED, 'record', 'passed', [file(SHARED, 'a')])),
    testFile('tests/b.test.js', scope(SHARED, 'record', 'passed', [file(SHARED, 'b')])),
  ];
  expect(staleRecordings(run, listing)).toEqual({ deleted: [], clashes: [{ testId: SHARED, testFiles: ['tests/a.test.js', 'tests/b.test.js'] }] });
  // Only one of them wrote: no clash, and the folder is the writer's.
  const quiet = [run[0], testFile('tests/b.test.js', scope(SHARED, 'record', 'passed'))];
  expect(staleRecordings(quiet, listing)).toEqual({ deleted: [file(SHARED, 'b'), file(SHARED, 'c')], clashes: [] });
});

test('a clash names both files, or the one file and how many projects ran it', () => {
  expect(clashMessage({ testId: 'x', testFiles: ['a.js', 'b.js'] }, 'recordings/x-1')).toContain('jest-replay: a.js and b.js recorded under the same test id "x"');
  expect(clashMessage({ testId: 'x', testFiles: ['a.js', 'a.js'] }, 'recordings/x-1')).toContain('jest-replay: a.js (run by 2 projects) recorded under');
});

test('cleanUpRun deletes the stale files and emptied folders, never through a symbolic link', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-clean-'));
  try {
    const write = (name: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), '{}');
    };
    write(file(A, 'c'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-outside-'));
    fs.writeFileSync(path.join(outside, 'cccccccccccccccc.json'), '{}');
    const B = 'tests/b.test.js::b';
    fs.mkdirSync(path.dirname(path.join(dir, folder(B))), { recursive: true });
    fs.symlinkSync(outside, path.join(dir, folder(B)));
    const run = [testFile('tests/a.test.js', scope(A, 'record', 'passed')), testFile('tests/b.test.js', scope(B, 'record', 'passed'))];
    expect(cleanUpRun(dir, run).deleted).toEqual([file(A, 'c')]);
    expect(fs.existsSync(path.join(dir, folder(A)))).toBe(false);
    expect(fs.readdirSync(outside)).toEqual(['cccccccccccccccc.json']);
    fs.rmSync(outside, { recursive: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
