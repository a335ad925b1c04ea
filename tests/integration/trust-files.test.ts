import * as fs from 'node:fs';
import * as path from 'node:path';
import { testFolder } from '../../src/core/store/paths';
import { type FixtureProject, failureOf, statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';
import { OPENAI_CLIENT, askTest } from '../support/snippets';

/**
 * What the recordings directory and the usage cache may hold that jest-replay does not control:
 * symbolic links (leading outside, dangling, looping), a cache or recordings folder that cannot be
 * written, and test ids with control characters.
 */
const upstream = useUpstream();
const project = useProjects('trust-files');
const record = (p: FixtureProject, env: Record<string, string> = {}) => p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL, ...env });
const summaryOf = (output: string) => /jest-replay: \S+ mode — .*/.exec(output)?.[0];
const link = (p: FixtureProject, target: string, at: string) => fs.symlinkSync(target, path.join(p.dir, at));
const count = (text: string, part: string) => text.split(part).length - 1;
const ALL_REPLAYED = 'jest-replay: replay mode — 1 replayed, 0 recorded, 0 missing, 0 unused (recordings in recordings/)';
/** A regular file where a folder is expected: root cannot write under it either (chmod does not stop root). */
const BLOCKER = 'blocker';

describe('symbolic links under the recordings directory are reported, never followed', () => {
  const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('one', 'one')}` });
  let recorded: string;

  beforeAll(async () => {
    expect((await record(p)).code).toBe(0);
    [recorded] = p.files();
    // A folder outside recordings/ holding a file named like a recording, reached through a link.
    p.write(`outside/sub/${path.basename(recorded)}`, p.read(`recordings/${recorded}`));
    link(p, '../../outside', 'recordings/tests/escape');
  });

  test('prune --yes deletes nothing through a link, and names the link', async () => {
    const run = await p.run();
    expect(run.code).toBe(0);
    expect(summaryOf(run.stderr)).toBe(ALL_REPLAYED);
    const pruned = await p.cli(['prune', '--yes']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).not.toContain('deleted recordings');
    expect(pruned.stdout).toContain(`${path.join('recordings', 'tests', 'escape')} -> ../../outside`);
    expect(pruned.stdout).toContain('0 deleted (0 recordings, 0 temporary files; complete run)');
    expect(p.files('outside')).toEqual([`sub/${path.basename(recorded)}`]);
  });

  test('list counts what is in the directory only, and names the link', async () => {
    const listed = await p.cli(['list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('1 recording for 1 test id');
    expect(listed.stdout).toContain(`${path.join('recordings', 'tests', 'escape')} -> ../../outside`);
  });

  test('a dangling link, a link to itself and a loop fail neither the run nor list, verify or prune', async () => {
    link(p, 'nowhere', 'recordings/dangling');
    link(p, 'self', 'recordings/self');
    link(p, '.', 'recordings/again');
    const run = await p.run();
    expect(run.code).toBe(0);
    expect(statusOf(run)).toEqual({ one: 'passed' });
    expect(summaryOf(run.stderr)).toBe(ALL_REPLAYED);

    const listed = await p.cli(['list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('1 recording for 1 test id');
    const verified = await p.cli(['verify']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('1 recording checked, no problems');
    const pruned = await p.cli(['prune', '--yes']);
    expect(pruned.code).toBe(0);
    for (const output of [listed.stdout, verified.stdout, pruned.stdout]) {
      expect(output).toContain('4 symbolic links not followed');
      for (const [name, target] of [['dangling', 'nowhere'], ['self', 'self'], ['again', '.']]) {
        expect(output).toContain(`${path.join('recordings', name)} -> ${target}`);
      }
    }
    expect(p.files('outside')).toHaveLength(1);
    expect(p.files()).toEqual([recorded]);
  });
});

describe('a test folder (or any folder on its way) that is a symbolic link is never read, written or cleaned through', () => {
  const p = project({
    'tests/a.test.js': `${OPENAI_CLIENT}${askTest('linked', 'one')}${askTest('fine', 'two')}`,
    'tests/b.test.js': `${OPENAI_CLIENT}${askTest('other', 'three')}test('quiet', () => {});\n`,
  });
  const LINK_MESSAGE = 'is a symbolic link, and jest-replay never reads, writes or deletes through a link under the recordings directory';
  let linkedFolder: string;
  let outside: Record<string, string>;

  beforeAll(async () => {
    expect(statusOf(await record(p))).toEqual({ linked: 'passed', fine: 'passed', other: 'passed', quiet: 'passed' });
    // The test folder of "linked", and the folder of tests/b.test.js (on the way to its tests' folders), moved outside and linked back.
    linkedFolder = path.dirname(p.files().find((f) => f.includes('/linked-'))!);
    fs.mkdirSync(path.join(p.dir, 'outside'));
    fs.renameSync(path.join(p.dir, 'recordings', linkedFolder), path.join(p.dir, 'outside', 'linked'));
    link(p, path.join(p.dir, 'outside', 'linked'), `recordings/${linkedFolder}`);
    fs.renameSync(path.join(p.dir, 'recordings/tests/b.test.js'), path.join(p.dir, 'outside', 'b'));
    link(p, '../../outside/b', 'recordings/tests/b.test.js');
    // A recording "quiet" never made, outside: a passing re-recorded test would clean its folder.
    p.write(`outside/b/${testFolder('tests/b.test.js::quiet')}/0123456789abcdef.json`, '{}\n');
    outside = p.snapshot('outside');
  });

  test('replay fails the tests reached through a link, naming it; the others replay', async () => {
    const run = await p.run();
    expect(statusOf(run)).toEqual({ linked: 'failed', fine: 'passed', other: 'failed', quiet: 'passed' });
    expect(failureOf(run, 'linked')).toContain(`${path.join(p.dir, 'recordings', linkedFolder)} ${LINK_MESSAGE}`);
    expect(failureOf(run, 'other')).toContain(`${path.join(p.dir, 'recordings/tests/b.test.js')} ${LINK_MESSAGE}`);
  });

  test('record fails them before any request is sent, and writes or deletes nothing behind the link', async () => {
    const sent = upstream().requests.length;
    const run = await record(p);
    expect(statusOf(run)).toEqual({ linked: 'failed', fine: 'passed', other: 'failed', quiet: 'passed' });
    expect(failureOf(run, 'linked')).toContain(LINK_MESSAGE);
    expect(upstream().requests.length - sent).toBe(1);
    expect(p.snapshot('outside')).toEqual(outside);
  });

  test('diagnose names the link', async () => {
    const diagnosed = await p.cli(['diagnose', 'tests/a.test.js::linked']);
    expect(diagnosed.code).toBe(1);
    expect(diagnosed.stdout).toContain(`its folder is reached through the symbolic link ${path.join(p.dir, 'recordings', linkedFolder)}`);
  });
});

test('import never follows a symbolic link (to a file or a folder), and survives loops', async () => {
  const sample = path.join(__dirname, '..', 'fixtures', 'llama-stack-sample', 'tests', 'integration', 'safety', 'recordings');
  const [name] = fs.readdirSync(sample);
  const p = project({ [`source/${name}`]: fs.readFileSync(path.join(sample, name), 'utf8') });
  // Recordings outside the folder imported, reached through links: a file, a folder, and loops.
  p.write(`outside/nested/${name.replace(/^./, '0')}`, fs.readFileSync(path.join(sample, name), 'utf8'));
  link(p, `../outside/nested/${name.replace(/^./, '0')}`, 'source/linked.json');
  link(p, '../outside', 'source/linked-folder');
  link(p, '.', 'source/loop');
  link(p, 'self.json', 'source/self.json');
  for (const args of [['import', 'source'], ['import', '--check', 'source']]) {
    const run = await p.cli(args);
    for (const linked of ['linked.json', 'linked-folder', 'loop', 'self.json']) {
      expect(run.stdout).toContain(`${path.join('source', linked)}: a symbolic link: not followed (it may lead outside the folder, or loop)\n`);
    }
    expect(run.stderr).toBe('');
  }
  const imported = p.files();
  expect(imported).toHaveLength(1);
  expect(p.files('outside')).toHaveLength(1);
});

describe('a bad neighbour does not turn a green run red: the summary and prune name it and skip it', () => {
  // Root reads any folder; without these capabilities (as any other user) it cannot read one with mode 000.
  const UNPRIVILEGED = { node: 'setpriv', nodeArgs: ['--bounding-set=-dac_override,-dac_read_search', process.execPath] };
  const CORRUPT = `afterAll(() => {
  const notes = require('path').join(__dirname, '..', 'node_modules/.cache/jest-replay/all');
  require('fs').mkdirSync(notes, { recursive: true });
  require('fs').writeFileSync(notes + '/cut-short.json', '{"mode": "repl');
});
`;
  const p = project({
    'tests/a.test.js': `${OPENAI_CLIENT}${askTest('one', 'one')}if (process.env.CORRUPT_NOTE) ${CORRUPT}`,
    'tests/b.test.js': `${OPENAI_CLIENT}${askTest('two', 'two')}`,
  });
  const OTHER_SHARD = 'node_modules/.cache/jest-replay/shard-2-of-2/bad.json';

  beforeAll(async () => {
    expect(statusOf(await record(p))).toEqual({ one: 'passed', two: 'passed' });
    p.write('recordings/locked/0123456789abcdef.json', '{}\n');
    fs.chmodSync(path.join(p.dir, 'recordings/locked'), 0o000);
  });
  afterAll(() => fs.chmodSync(path.join(p.dir, 'recordings/locked'), 0o755));

  test('an unreadable folder under recordings/, and a usage note cut short', async () => {
    const run = await p.run({ CORRUPT_NOTE: '1' }, [], UNPRIVILEGED);
    expect(run.code).toBe(0);
    expect(statusOf(run)).toEqual({ one: 'passed', two: 'passed' });
    expect(summaryOf(run.stderr)).toBe('jest-replay: replay mode — 2 replayed, 0 recorded, 0 missing, 0 unused (recordings in recordings/)');
    expect(run.stderr).toContain(`\n  skipped, cannot be read: ${path.join('recordings', 'locked')} (EACCES)\n`);
    expect(run.stderr).toContain(`\n  skipped, not a usage note: ${path.join('node_modules/.cache/jest-replay/all/cut-short.json')} (not JSON)\n`);
  });

  test("dir: '/' (here the part of it that cannot be read, /proc/1): a run of tests that make no request stays green", async () => {
    const root = project({ 'tests/quiet.test.js': "test('quiet', () => {});\n" }, { testEnvironmentOptions: { replay: { dir: '/proc/1' } } });
    const run = await root.run();
    expect(run.code).toBe(0);
    expect(statusOf(run)).toEqual({ quiet: 'passed' });
    expect(run.stderr).toMatch(/^jest-replay: replay mode — 0 replayed, 0 recorded, 0 missing, \d+ unused \(recordings in \/proc\/1\/\)$/m);
    expect(run.stderr).toContain('\n  skipped, cannot be read: /proc/1/');
  });

  test("a corrupt usage note of another shard does not fail this shard's run; prune names it and judges the rest", async () => {
    p.write(OTHER_SHARD, '{"mode": ');
    const run = await p.run({}, ['--shard=1/2']);
    expect(run.code).toBe(0);
    expect(Object.values(statusOf(run))).toEqual(['passed']);
    expect(summaryOf(run.stderr)).toMatch(/^jest-replay: replay mode — 1 replayed/);
    const pruned = await p.cli(['prune'], UNPRIVILEGED);
    expect(pruned.code).toBe(0);
    expect(pruned.stderr).toContain(`skipped ${OTHER_SHARD}: not a usage note (not JSON)\n`);
    expect(pruned.stdout).toContain(`skipped ${path.join('recordings', 'locked')}: cannot be read (EACCES)\n`);
    expect(pruned.stdout).toContain('0 unused (0 recordings, 0 temporary files; partial run');
  });
});

test('an unusable usage cache costs the summary, said once, not the run', async () => {
  const p = project(
    { 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('one', 'one')}`, 'tests/b.test.js': `${OPENAI_CLIENT}${askTest('two', 'two')}` },
    { testEnvironmentOptions: { replay: { usageDir: `${BLOCKER}/usage` } } },
  );
  p.write(BLOCKER, 'a file, not a folder\n');
  const recorded = await record(p);
  expect(recorded.code).toBe(0);
  expect(statusOf(recorded)).toEqual({ one: 'passed', two: 'passed' });
  expect(p.files()).toHaveLength(2);
  const run = await p.run();
  expect(run.code).toBe(0);
  expect(statusOf(run)).toEqual({ one: 'passed', two: 'passed' });
  for (const output of [recorded.stderr, run.stderr]) {
    expect(count(output, `jest-replay: cannot use the usage cache ${path.join(BLOCKER, 'usage')}`)).toBe(1);
    expect(output).toContain('no summary for this run, and prune cannot judge it');
    // Not once more per test file, nor from the reporter.
    expect(output).not.toContain("could not note this file's usage");
    expect(summaryOf(output)).toBeUndefined();
  }
});

test('record mode with recordings that cannot be written stops once, naming the folder', async () => {
  const p = project(
    { 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('one', 'one')}${askTest('two', 'two')}` },
    { testEnvironmentOptions: { replay: { dir: `${BLOCKER}/recordings` } } },
  );
  p.write(BLOCKER, 'a file, not a folder\n');
  const recorded = await record(p);
  expect(recorded.code).toBe(1);
  expect(recorded.tests).toEqual([]);
  expect(count(recorded.output, `jest-replay: record mode cannot write recordings to ${path.join(BLOCKER, 'recordings')}`)).toBe(1);
  expect(recorded.output).toContain(`${path.join(p.dir, BLOCKER)} is a file, not a folder`);
  expect(recorded.output).toContain('JEST_REPLAY_DIR');
  // Replay writes no recording: there the folder is only read, and holds nothing.
  const replayed = await p.run();
  expect(replayed.output).not.toContain('cannot write recordings');
  expect(statusOf(replayed)).toEqual({ one: 'failed', two: 'failed' });
  expect(replayed.output).toContain('no recording for this request');
  expect(replayed.output).not.toContain('ENOTDIR');
});

test('control characters and terminal escapes in test ids are printed escaped', async () => {
  const title = 'red \u001b[31mALERT\u001b[0m\u0007 on\ntwo lines';
  const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest(title, 'one')}` });
  expect((await record(p)).code).toBe(0);
  const escaped = 'red \\x1b[31mALERT\\x1b[0m\\x07 on\\ntwo lines';
  const listed = await p.cli(['list']);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(`tests/a.test.js::${escaped}\n`);
  const diagnosed = await p.cli(['diagnose', `tests/a.test.js::${title}`]);
  expect(diagnosed.stdout).toContain(`test id:  tests/a.test.js::${escaped}\n`);
  const shown = await p.cli(['show', `recordings/${p.files()[0]}`]);
  expect(shown.stdout).toContain(`test id:  tests/a.test.js::${escaped}\n`);
  for (const run of [listed, diagnosed, shown]) expect(`${run.stdout}${run.stderr}`).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
});
