import * as fs from 'node:fs';
import * as path from 'node:path';
import { type FixtureProject, statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';
import { OPENAI_CLIENT, askTest } from '../support/snippets';

const upstream = useUpstream();
const project = useProjects('usage');
const record = (p: FixtureProject, args: string[] = []) => p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL }, args);
/** The folder of a test's recordings, by its title (tests here have one-word titles). */
const folderOf = (p: FixtureProject, title: string) => [...new Set(p.files().filter((f) => f.includes(`/${title}-`)).map((f) => path.dirname(f)))];
const noRequest = (title: string) => `test(${JSON.stringify(title)}, () => { expect(1).toBe(1); });\n`;
const summaryOf = (output: string) => /jest-replay: \S+ mode — .*/.exec(output)?.[0];

describe('the summary line and prune', () => {
  const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('one', 'one')}${askTest('two', 'two')}${askTest('three', 'three')}` });
  let oneFile: string;
  let threeFile: string;

  beforeAll(async () => {
    const recorded = await record(p);
    expect(recorded.code).toBe(0);
    expect(summaryOf(recorded.stderr)).toBe('jest-replay: record mode — 0 replayed, 3 recorded, 0 missing, 0 unused (recordings in recordings/)');
    [oneFile] = p.files().filter((f) => f.includes('/one-'));
    [threeFile] = p.files().filter((f) => f.includes('/three-'));
  });

  test('a full replay counts what it replayed and leaves nothing unused', async () => {
    const run = await p.run();
    expect(run.code).toBe(0);
    expect(summaryOf(run.stderr)).toBe('jest-replay: replay mode — 3 replayed, 0 recorded, 0 missing, 0 unused (recordings in recordings/)');
  });

  test('a recording its passing test no longer asks for is unused; prune lists it, deletes nothing without --yes', async () => {
    p.write('tests/a.test.js', `${OPENAI_CLIENT}${noRequest('one')}${askTest('two', 'two')}${askTest('three', 'three')}`);
    const run = await p.run();
    expect(run.code).toBe(0);
    expect(summaryOf(run.stderr)).toBe('jest-replay: replay mode — 2 replayed, 0 recorded, 0 missing, 1 unused (recordings in recordings/)');
    const before = p.files();
    const dry = await p.cli(['prune']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would delete ${path.join('recordings', oneFile)}`);
    expect(dry.stdout).toContain('1 unused (1 recording, 0 temporary files; complete run). Run with --yes to delete them.');
    expect(p.files()).toEqual(before);
  });

  test('a filtered run (-t) keeps the recordings of tests it skipped and of tests it never saw', async () => {
    p.write('tests/a.test.js', `${OPENAI_CLIENT}${noRequest('one')}${askTest('two', 'two')}`);
    const run = await p.run({}, ['-t', 'two']);
    expect(statusOf(run)).toEqual({ one: 'pending', two: 'passed' });
    expect(summaryOf(run.stderr)).toBe('jest-replay: replay mode — 1 replayed, 0 recorded, 0 missing, 0 unused (recordings in recordings/)');
    const dry = await p.cli(['prune']);
    expect(dry.stdout).toContain('0 unused (0 recordings, 0 temporary files; partial run');
  });

  test('a path-filtered run does not count as complete either', async () => {
    p.write('tests/b.test.js', noRequest('other'));
    const run = await p.run({}, ['tests/b.test.js']);
    expect(run.code).toBe(0);
    expect(summaryOf(run.stderr)).toBe('jest-replay: replay mode — 0 replayed, 0 recorded, 0 missing, 0 unused (recordings in recordings/)');
    fs.rmSync(path.join(p.dir, 'tests/b.test.js'));
  });

  test('after a complete run, prune --yes deletes unused recordings, those of deleted tests too, and replay still passes', async () => {
    const full = await p.run();
    expect(full.code).toBe(0);
    expect(summaryOf(full.stderr)).toBe('jest-replay: replay mode — 1 replayed, 0 recorded, 0 missing, 2 unused (recordings in recordings/)');
    // What a recording process killed with SIGKILL may leave (its pid is above Linux's default pid_max: not running).
    const leftover = path.join('recordings', `${threeFile}.${2 ** 22 + 1}.0a1b2c3d.tmp`);
    p.write(leftover, '{"test_id"');
    const pruned = await p.cli(['prune', '--yes']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain(`deleted ${leftover}`);
    expect(pruned.stdout).toContain(`deleted ${path.join('recordings', oneFile)}`);
    expect(pruned.stdout).toContain(`deleted ${path.join('recordings', threeFile)}`);
    expect(p.files().map((f) => f.split('/')[2].replace(/-.*/, ''))).toEqual(['two']);
    // Emptied test folders go too.
    expect(fs.existsSync(path.join(p.dir, 'recordings', path.dirname(oneFile)))).toBe(false);
    const again = await p.run();
    expect(again.code).toBe(0);
    expect(summaryOf(again.stderr)).toBe('jest-replay: replay mode — 1 replayed, 0 recorded, 0 missing, 0 unused (recordings in recordings/)');
  });
});

test('a failing test keeps its recordings; a deleted test\'s go all the same', async () => {
  const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('kept', 'kept')}${askTest('gone', 'gone')}` });
  expect((await record(p)).code).toBe(0);
  const [kept] = p.files().filter((f) => f.includes('/kept-'));
  // `kept` now fails before its request; `gone` was deleted from the file.
  p.write('tests/a.test.js', `${OPENAI_CLIENT}test('kept', () => { expect(1).toBe(2); });\n`);
  const run = await p.run();
  expect(statusOf(run)).toEqual({ kept: 'failed' });
  expect(summaryOf(run.stderr)).toContain('1 unused');
  expect(run.stderr).toContain('  kept 1 recording no test used: 1 of failed tests\n');
  await p.cli(['prune', '--yes']);
  expect(p.files()).toEqual([kept]);
});

test('shards: each writes its own usage; prune merges them and judges unseen tests only once all shards ran', async () => {
  const files: Record<string, string> = {};
  for (const name of ['a', 'b', 'c', 'd']) files[`tests/${name}.test.js`] = `${OPENAI_CLIENT}${askTest(name, name)}`;
  const p = project(files);
  expect((await record(p)).code).toBe(0);
  expect(p.files()).toHaveLength(4);
  // A test file deleted since: its recording belongs to no test any more.
  fs.rmSync(path.join(p.dir, 'tests/d.test.js'));
  const [dFile] = p.files().filter((f) => f.includes('/d-'));
  // The folders of the usage directory (beside them, the file keeping the last listing of the recordings).
  const usageDirs = () =>
    fs
      .readdirSync(path.join(p.dir, 'node_modules/.cache/jest-replay'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  // Alone, a shard is never the whole suite: the deleted test's recording is not called unused.
  const shardSummary = /^jest-replay: replay mode — [12] replayed, 0 recorded, 0 missing, 0 unused \(recordings in recordings\/\)$/m;

  const first = await p.run({}, ['--shard=1/2']);
  expect(first.code).toBe(0);
  expect(first.stderr).toMatch(shardSummary);
  expect(first.stderr).toContain('  partial run (shard 1/2): recordings of the tests it did not run are kept\n');
  expect(usageDirs()).toEqual(['shard-1-of-2']);
  expect((await p.cli(['prune'])).stdout).toContain('0 unused (0 recordings, 0 temporary files; partial run (shard 2/2 missing)');

  const second = await p.run({}, ['--shard=2/2']);
  expect(second.code).toBe(0);
  expect(second.stderr).toMatch(shardSummary);
  expect(usageDirs()).toEqual(['shard-1-of-2', 'shard-2-of-2']);
  const merged = await p.cli(['prune', '--yes']);
  expect(merged.stdout).toContain(`deleted ${path.join('recordings', dFile)}`);
  expect(merged.stdout).toContain('1 deleted (1 recording, 0 temporary files; complete run)');
  expect(p.files()).toHaveLength(3);

  // An unsharded run supersedes the shards' usage.
  expect((await p.run()).code).toBe(0);
  expect(usageDirs()).toEqual(['all']);
});

test('re-recording a test leaves its folder holding exactly what that run used; a failing one keeps its files', async () => {
  const twice = (a: string, b: string) => `test('asks', async () => { expect(await ask('${a}')).toBe('echo: ${a}'); expect(await ask('${b}')).toBe('echo: ${b}'); });\n`;
  const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${twice('first', 'second')}test('fails', async () => { await ask('kept'); expect(process.env.FAIL).toBeUndefined(); });\n` });
  expect((await record(p)).code).toBe(0);
  const [asks] = folderOf(p, 'asks');
  const [fails] = folderOf(p, 'fails');
  expect(p.files().filter((f) => f.startsWith(asks))).toHaveLength(2);
  const failsFiles = p.files().filter((f) => f.startsWith(fails));

  p.write('tests/a.test.js', `${OPENAI_CLIENT}${twice('first', 'third')}test('fails', async () => { await ask('changed'); expect(process.env.FAIL).toBeUndefined(); });\n`);
  const run = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL, FAIL: '1' });
  expect(statusOf(run)).toEqual({ asks: 'passed', fails: 'failed' });
  const now = p.files().filter((f) => f.startsWith(asks));
  expect(now).toHaveLength(2);
  for (const file of now) expect(['first', 'third']).toContain(JSON.parse(p.read(path.join('recordings', file))).request.body.messages[0].content);
  // The record-mode summary lists what changed on disk.
  expect(run.stderr).toMatch(/^ {2}new {6}recordings\/tests\/a\.test\.js\/asks-[0-9a-f]{8}\/[0-9a-f]{16}\.json$/m);
  expect(run.stderr).toMatch(/^ {2}deleted {2}recordings\/tests\/a\.test\.js\/asks-[0-9a-f]{8}\/[0-9a-f]{16}\.json$/m);
  // The summary lists the tree while the tests run: what the run deleted since is not counted as unused.
  expect(summaryOf(run.stderr)).toMatch(/ 0 unused /);
  // The failing test's old recording stays beside the new one.
  expect(p.files().filter((f) => f.startsWith(fails))).toEqual(expect.arrayContaining(failsFiles));
  expect(p.files().filter((f) => f.startsWith(fails))).toHaveLength(2);
});

describe('nobody deletes another file\'s recordings: the clean-up runs once, at the end of the run', () => {
  const SHARED = `${OPENAI_CLIENT}const { setTestId } = require('jest-replay');\n`;
  const sharedTest = (content: string) => `test('shared', async () => { setTestId('shared::login'); expect(await ask(${JSON.stringify(content)})).toBe('echo: ${content}'); });\n`;
  const sharedFolder = (p: FixtureProject) => [...new Set(p.files().filter((f) => f.startsWith('shared/login-')).map((f) => path.dirname(f)))];
  const CLASH = /jest-replay: tests\/[ab]\.test\.js and tests\/[ab]\.test\.js recorded under the same test id "shared::login"/;

  test('two test files recording under one test id (setTestId): both keep their recordings, and the record run fails', async () => {
    const p = project({ 'tests/a.test.js': `${SHARED}${sharedTest('from a')}`, 'tests/b.test.js': `${SHARED}${sharedTest('from b')}` });
    const run = await record(p, ['--runInBand']);
    expect(statusOf(run)).toEqual({ shared: 'passed' });
    expect(run.tests.map((t) => t.status)).toEqual(['passed', 'passed']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(CLASH);
    expect(run.stderr).toContain("where they overwrite and would delete each other's. Nothing in it was deleted.");
    expect(p.files().filter((f) => f.startsWith('shared/login-'))).toHaveLength(2);
    expect(sharedFolder(p)).toHaveLength(1);
  });

  test('two Jest projects sharing one recordings directory (and ids): the same', async () => {
    const inProject = (name: string) => ({
      displayName: name,
      rootDir: `<rootDir>/${name}`,
      preset: 'jest-replay',
      transform: {},
      testEnvironmentOptions: { replay: { dir: '<rootDir>/../recordings' } },
    });
    const p = project(
      { 'one/tests/x.test.js': `${OPENAI_CLIENT}${askTest('asks', 'from one')}`, 'two/tests/x.test.js': `${OPENAI_CLIENT}${askTest('asks', 'from two')}` },
      { projects: [inProject('one'), inProject('two')] },
    );
    const run = await record(p, ['--runInBand']);
    expect(run.tests.map((t) => t.status)).toEqual(['passed', 'passed']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('jest-replay: tests/x.test.js (run by 2 projects) recorded under the same test id "tests/x.test.js::asks"');
    expect(p.files()).toHaveLength(2);
  });

  test("a config that replaced the preset's reporters: the global teardown deletes stale recordings and fails on a clash", async () => {
    const files = {
      'tests/a.test.js': `${SHARED}${sharedTest('from a')}test('asks', async () => { await ask(process.env.PROMPT); });\n`,
      'tests/b.test.js': `${SHARED}${sharedTest('from b')}`,
    };
    const p = project(files, { reporters: ['default'] });
    const first = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL, PROMPT: 'first' }, ['--runInBand']);
    expect(first.code).toBe(1);
    expect(first.output).toMatch(CLASH);
    const [asks] = p.files().filter((f) => f.includes('/asks-'));
    const second = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL, PROMPT: 'second' }, ['--runInBand']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`jest-replay: deleted  ${path.join('recordings', asks)} (its test was re-recorded without it)`);
    expect(p.files().filter((f) => f.includes('/asks-'))).toHaveLength(1);
    expect(p.files()).not.toContain(asks);
    expect(p.files().filter((f) => f.startsWith('shared/login-'))).toHaveLength(2);
  });
});
