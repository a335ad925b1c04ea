import * as path from 'node:path';
import { statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';
import { OPENAI_CLIENT, askTest } from '../support/snippets';

/**
 * Stale detection that survives skips: skipped and todo tests keep their recordings (counted as kept), everything
 * else unused in a run that ran every file is reported and prunable; only a run that left files or tests out is
 * partial, and its summary says what left them out.
 */

const upstream = useUpstream();
const project = useProjects('stale');
const summaryOf = (output: string) => /^jest-replay: \S+ mode — .*$/m.exec(output)?.[0];
const linesOf = (output: string, start: string) => output.split('\n').filter((line) => line.startsWith(start));
const IN_RECORDINGS = '(recordings in recordings/)';
const KEPT = 'recordings of the tests it did not run are kept';

const GROUP = (describe: string) => `${describe}('group', () => {
  let greeting;
  beforeAll(async () => { greeting = await ask('set up'); });
  test('uses', async () => { expect(greeting).toBe('echo: set up'); expect(await ask('uses')).toBe('echo: uses'); });
});
`;
const CUSTOM = (fn: string) =>
  `const { setTestId } = require('jest-replay');\n` +
  `${fn}('custom', async () => { setTestId('custom::id'); expect(await ask('custom')).toBe('echo: custom'); });\n`;

describe('skipped tests and partial runs', () => {
  const p = project({
    'tests/a.test.js': `${OPENAI_CLIENT}${askTest('one', 'one')}${askTest('two', 'two')}${askTest('three', 'three')}${GROUP('describe')}`,
    'tests/c.test.js': `${OPENAI_CLIENT}${CUSTOM('test')}`,
  });
  let threeFile: string;

  beforeAll(async () => {
    const recorded = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL });
    expect(recorded.code).toBe(0);
    expect(p.files()).toHaveLength(6);
    [threeFile] = p.files().filter((f) => f.includes('/three-'));
  });

  test('test.skip, test.todo and describe.skip keep their recordings; a deleted test\'s recording is unused and prunable', async () => {
    // `two` skipped, `three` deleted, a new todo, the group (its beforeAll too) skipped.
    const skipped = `${askTest('two', 'two', 'test.skip')}test.todo('later');\n${GROUP('describe.skip')}`;
    p.write('tests/a.test.js', `${OPENAI_CLIENT}${askTest('one', 'one')}${skipped}`);
    const run = await p.run();
    expect(statusOf(run)).toEqual({ one: 'passed', two: 'pending', later: 'todo', 'group uses': 'pending', custom: 'passed' });
    expect(summaryOf(run.stderr)).toBe(`jest-replay: replay mode — 2 replayed, 0 recorded, 0 missing, 1 unused ${IN_RECORDINGS}`);
    expect(linesOf(run.stderr, '  kept ')).toEqual(['  kept 3 recordings no test used: 3 of skipped or todo tests']);
    expect(linesOf(run.stderr, '  partial run')).toEqual([]);

    const dry = await p.cli(['prune']);
    const doomed = dry.stdout.split('\n').filter((line) => line.startsWith('would delete'));
    expect(doomed).toEqual([`would delete ${path.join('recordings', threeFile)}`]);
    expect(dry.stdout).toContain('kept 3 recordings no test used: 3 of skipped or todo tests');
    expect(dry.stdout).toContain('1 unused (1 recording, 0 temporary files; complete run). Run with --yes to delete them.');
  });

  test('.only makes a run partial, naming the file', async () => {
    p.write('tests/a.test.js', `${OPENAI_CLIENT}${askTest('one', 'one', 'test.only')}${askTest('two', 'two')}`);
    const run = await p.run();
    expect(run.code).toBe(0);
    expect(summaryOf(run.stderr)).toMatch(/ 0 unused /);
    expect(linesOf(run.stderr, '  partial run')).toEqual([`  partial run (test.only in tests/a.test.js): ${KEPT}`]);
    const pruned = (await p.cli(['prune'])).stdout;
    expect(pruned).toContain('0 unused (0 recordings, 0 temporary files; partial run (test.only in tests/a.test.js)');
  });

  test('-t makes a run partial, naming the pattern; a path filter names the files that did not run', async () => {
    p.write('tests/a.test.js', `${OPENAI_CLIENT}${askTest('one', 'one')}${askTest('two', 'two')}`);
    const named = await p.run({}, ['-t', 'one']);
    expect(summaryOf(named.stderr)).toMatch(/ 0 unused /);
    expect(linesOf(named.stderr, '  partial run')).toEqual([`  partial run (-t one): ${KEPT}`]);

    const filtered = await p.run({}, ['tests/c.test.js']);
    expect(summaryOf(filtered.stderr)).toMatch(/ 0 unused /);
    expect(linesOf(filtered.stderr, '  partial run')).toEqual([`  partial run (a path filter): ${KEPT}`]);
    expect(linesOf(filtered.stderr, '  did not run')).toEqual(['  did not run: tests/a.test.js']);
  });

  test("a skipped test that may set its own id (setTestId) keeps the recordings of ids no test used", async () => {
    p.write('tests/c.test.js', `${OPENAI_CLIENT}${CUSTOM('test.skip')}`);
    const run = await p.run();
    expect(summaryOf(run.stderr)).toMatch(/ 0 unused /);
    // `three`'s and the group's recordings, and `custom::id`'s: the skipped test's own id is not known.
    expect(linesOf(run.stderr, '  kept ')).toEqual([
      '  kept 4 recordings no test used: 4 of test ids no test ran (a skipped or failed test may set its own id with setTestId)',
    ]);
  });
});
