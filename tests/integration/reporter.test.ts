import * as path from 'node:path';
import { useProjects, useUpstream } from '../support/lifecycle';
import { OPENAI_CLIENT, askTest } from '../support/snippets';

const upstream = useUpstream();
const projects = useProjects('reporter');
const project = (config?: Record<string, unknown>) => projects({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('one', 'one')}${askTest('two', 'two')}` }, config);
const RECORD = () => ({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL });
const SUMMARY = /^jest-replay: (\S+) mode — (\d+) replayed, (\d+) recorded, (\d+) missing, (\d+) unused \(recordings in recordings\/\)$/m;

test('record mode lists the files written; re-recording the same traffic lists none', async () => {
  const p = project();
  const first = await p.runJest([], RECORD());
  expect(first.code).toBe(0);
  expect(first.stderr).toMatch(SUMMARY);
  expect(SUMMARY.exec(first.stderr)!.slice(1)).toEqual(['record', '0', '2', '0', '0']);
  const listed = [...first.stderr.matchAll(/^ {2}new {6}(\S+)$/gm)].map((m) => m[1]).sort();
  expect(listed).toEqual(p.files().map((f) => path.join('recordings', f)));

  const again = await p.runJest([], RECORD());
  expect(SUMMARY.exec(again.stderr)!.slice(1)).toEqual(['record', '0', '2', '0', '0']);
  expect(again.stderr).not.toMatch(/^ {2}(new|changed|deleted) /m);
});

test('jest --json keeps stdout valid JSON; the summary goes to stderr', async () => {
  const p = project();
  expect((await p.runJest([], RECORD())).code).toBe(0);
  const run = await p.runJest(['--json']);
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout).numPassedTests).toBe(2);
  expect(SUMMARY.exec(run.stderr)!.slice(1)).toEqual(['replay', '2', '0', '0', '0']);
});

test('--silent prints no summary', async () => {
  const p = project();
  expect((await p.runJest([], RECORD())).code).toBe(0);
  const run = await p.runJest(['--silent']);
  expect(run.code).toBe(0);
  expect(run.stderr).toContain('Tests:       2 passed');
  expect(run.stderr).not.toContain('jest-replay:');
});

test('usable on its own, beside a hand-composed environment and no global setup', async () => {
  const p = project({ preset: undefined, testEnvironment: 'jest-replay/environment', reporters: ['default', 'jest-replay/reporter'] });
  expect((await p.runJest([], RECORD())).code).toBe(0);
  // Two runs: the second reports its own usage only, though nothing cleared the first's files.
  for (let i = 0; i < 2; i++) {
    const run = await p.runJest([]);
    expect(run.code).toBe(0);
    expect(SUMMARY.exec(run.stderr)!.slice(1)).toEqual(['replay', '2', '0', '0', '0']);
  }
});
