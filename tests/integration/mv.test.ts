import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { FixtureProject, failureOf, statusOf } from '../support/fixture';
import { startUpstream } from '../support/upstream';
import { OPENAI_CLIENT } from '../support/snippets';

/**
 * `jest-replay mv`: a renamed test, or a renamed describe block, keeps its recordings without a paid
 * re-record. Recorded once; then renamed in the test file, moved with the command line (a prefix for the
 * describe block, and the exact line a miss prints for the renamed test), and replayed offline.
 */
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

const tests = (block: string, rain: string) => `${OPENAI_CLIENT}
const { replay } = require('jest-replay');
describe(${JSON.stringify(block)}, () => {
  test(${JSON.stringify(rain)}, async () => {
    replay.matchIgnore('body.metadata.*');
    expect(await ask('rain', { user: process.env.USER_NAME, metadata: { run: process.env.USER_NAME } })).toBe('echo: rain');
    expect(await ask('rain again')).toBe('echo: rain again');
  });
  test('asks about snow', async () => {
    expect(await ask('snow', { user: process.env.USER_NAME })).toBe('echo: snow');
  });
});
test('keeps its name', async () => {
  expect(await ask('sun')).toBe('echo: sun');
});
`;

const FILE = 'tests/weather.test.js';
const id = (...titles: string[]) => [FILE, ...titles].join('::');

describe('jest-replay mv', () => {
  const config = { testEnvironmentOptions: { replay: { matchIgnore: ['body.user'] } } };
  const project = new FixtureProject('mv', { [FILE]: tests('weather', 'asks about rain') }, config);
  const idsOnDisk = () => [...new Set(project.files().map((f) => JSON.parse(project.read(`recordings/${f}`)).test_id as string))].sort();
  /** A record run against a fresh loopback upstream, as the same user every time. */
  const record = async () => {
    const upstream = await startUpstream();
    try {
      return await project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, USER_NAME: 'alice' });
    } finally {
      await upstream.close();
    }
  };
  afterAll(() => project.remove());

  beforeAll(async () => {
    expect(Object.values(statusOf(await record()))).toEqual(['passed', 'passed', 'passed']);
  });

  test('a renamed describe: --prefix moves every id under it, re-keyed and verified; prune keeps what it moved', async () => {
    // The test file is renamed too: the describe block, and one test in it.
    project.write(FILE, tests('forecast', 'asks about the rain'));
    const before = project.snapshot();
    const dry = await project.cli(['mv', '--prefix', id('weather', ''), id('forecast', ''), '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringContaining('3 recordings of 2 test ids would move; nothing written') });
    expect(project.snapshot()).toEqual(before);

    const moved = await project.cli(['mv', '--prefix', id('weather', ''), id('forecast', '')]);
    expect(moved.code).toBe(0);
    const file = (leaf: string) => `recordings/tests/weather\\.test\\.js/${leaf}-[0-9a-f]{8}/[0-9a-f]{16}\\.json`;
    expect(moved.stdout).toMatch(new RegExp(`^moved ${file('weather_asks_about_rain')} -> ${file('forecast_asks_about_rain')}$`, 'm'));
    expect(moved.stdout).toContain('3 recordings of 2 test ids moved');
    expect(idsOnDisk()).toEqual([id('forecast', 'asks about rain'), id('forecast', 'asks about snow'), id('keeps its name')]);
    expect(project.files().filter((f) => f.includes('/weather_'))).toEqual([]);
    // Only test_id changed in each file; the test's own matchIgnore paths went along.
    const rain = project.files().filter((f) => f.includes('/forecast_asks_about_rain-'));
    expect(rain.map((f) => JSON.parse(project.read(`recordings/${f}`)).match_ignore)).toEqual([['body.metadata.*'], ['body.metadata.*']]);
    expect(await project.cli(['verify'])).toMatchObject({ code: 0, stdout: '4 recordings checked, no problems\n' });
    // The last run's notes predate the move: what it never saw is not judged unused.
    const pruned = await project.cli(['prune']);
    expect(pruned).toMatchObject({ code: 0, stdout: expect.stringContaining('0 unused') });
    expect(pruned.stdout).toContain('kept 3 recordings written since the last run (moved, imported or pulled): run jest to judge them');
  });

  test("a renamed test's miss prints the mv line to copy; run as printed, the test replays offline", async () => {
    const missed = await project.run({ USER_NAME: 'bob' });
    const expected = { 'forecast asks about the rain': 'failed', 'forecast asks about snow': 'passed', 'keeps its name': 'passed' };
    expect(statusOf(missed)).toEqual(expected);
    const message = failureOf(missed, 'forecast asks about the rain');
    const line = `npx jest-replay mv '${id('forecast', 'asks about rain')}' '${id('forecast', 'asks about the rain')}'`;
    const offered = ['Renamed? Move the recordings of its old id to it (no network call):', `  ${line}`, 'or record it with'];
    expect(message).toContain(offered.join('\n'));
    // A test still declared in the file is never offered as the old id.
    expect(message).not.toContain(`mv '${id('forecast', 'asks about snow')}'`);

    const command = line.replace('npx jest-replay', `"${process.execPath}" "${CLI}"`);
    const run = spawnSync('sh', ['-c', command], { cwd: project.dir, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('2 recordings of 1 test id moved');
    const replayed = await project.run({ USER_NAME: 'carol' });
    expect(Object.values(statusOf(replayed))).toEqual(['passed', 'passed', 'passed']);

    // The moved files are what recording under the new ids writes, stored ids included: re-recording changes no byte.
    const moved = project.snapshot();
    expect(Object.values(statusOf(await record()))).toEqual(['passed', 'passed', 'passed']);
    expect(project.snapshot()).toEqual(moved);
  });

  test('refuses without writing: a target that holds recordings (unless --merge), an unknown id, a bad use', async () => {
    const before = project.snapshot();
    const taken = await project.cli(['mv', id('forecast', 'asks about snow'), id('keeps its name')]);
    expect(taken.code).toBe(1);
    expect(taken.stdout).toContain(`${id('keeps its name')} already has 1 recording: --merge adds these beside them`);
    expect(taken.stdout).toContain('nothing moved');
    const unknown = await project.cli(['mv', id('forecast', 'asks about hail'), id('forecast', 'asks about sleet')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain(`no recordings under test id ${id('forecast', 'asks about hail')}`);
    expect(unknown.stdout).toContain('recorded for the same test file (nearest first):\n');
    expect(unknown.stdout).toContain(`\n  ${id('forecast', 'asks about snow')}\n`);
    const same = await project.cli(['mv', id('keeps its name'), id('keeps its name')]);
    expect(same).toMatchObject({ code: 2, stderr: expect.stringContaining('jest-replay mv: the old and new test ids are the same') });
    const nested = await project.cli(['mv', '--prefix', id('forecast', ''), id('forecast', 'inner', '')]);
    expect(nested).toMatchObject({ code: 2, stderr: expect.stringContaining('one prefix starts with the other') });
    expect(project.snapshot()).toEqual(before);

    const merged = await project.cli(['mv', id('forecast', 'asks about snow'), id('keeps its name'), '--merge']);
    expect(merged).toMatchObject({ code: 0, stdout: expect.stringContaining('1 recording of 1 test id moved') });
    expect(idsOnDisk()).toEqual([id('forecast', 'asks about the rain'), id('keeps its name')]);
    expect(await project.cli(['verify'])).toMatchObject({ code: 0, stdout: '4 recordings checked, no problems\n' });
  });
});
