import * as path from 'node:path';
import { useProjects, useUpstream } from '../support/lifecycle';
import { OPENAI_CLIENT, askTest } from '../support/snippets';
import { startUpstream } from '../support/upstream';

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

test('a record run that recorded nothing because every request went to ignoreHosts says so', async () => {
  const p = project({ testEnvironmentOptions: { replay: { ignoreHosts: ['127.0.0.1'] } } });
  const run = await p.runJest([], RECORD());
  expect(run.code).toBe(0);
  expect(p.files()).toEqual([]);
  expect(SUMMARY.exec(run.stderr)!.slice(1)).toEqual(['record', '0', '0', '0', '0']);
  const host = new URL(upstream().url).host;
  expect(run.stderr).toContain(
    `  nothing was recorded: every request (2) went to a host in ignoreHosts (${host}), never recorded; ` +
      'a local LLM server must not be listed there (list your own app as host:port)\n',
  );
});

test('a record run against a server that is down records nothing and lists the requests it could not send', async () => {
  const p = projects({
    'tests/a.test.js': `${OPENAI_CLIENT.replace("baseURL:", 'maxRetries: 0, baseURL:')}
test('server down', async () => {
  const error = await ask('anyone there?').catch((e) => e);
  // The live error, as without jest-replay.
  expect(error.constructor.name).toBe('APIConnectionError');
});
`,
  });
  // A port nothing listens on any more.
  const stopped = await startUpstream();
  await stopped.close();
  const run = await p.runJest([], { RECORD: '1', UPSTREAM_BASE: stopped.baseURL });
  expect(run.code).toBe(0);
  expect(p.files()).toEqual([]);
  expect(SUMMARY.exec(run.stderr)!.slice(1)).toEqual(['record', '0', '0', '0', '0']);
  expect(run.stderr).toContain(`  not recorded (no connection was made): POST ${stopped.baseURL}/chat/completions (ECONNREFUSED)\n`);
});
