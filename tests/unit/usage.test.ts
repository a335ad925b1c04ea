import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { testFolder } from '../../src/core/store/paths';
import { listFolders } from '../../src/core/store/listing-cache';
import { countListed, judgeRecordings, keptLine, leftoverTemporaryFiles, listRecordings } from '../../src/core/store/unused';
import { summarizeUsage } from '../../src/core/store/unused';
import { type FileUsage, type ScopeUsage, mergeShards, readUsage, startUsage, writeFileUsage, writeRunRecord } from '../../src/core/store/usage';

const folder = (id: string) => testFolder(id).split(path.sep).join('/');
const A = 'tests/a.test.ts::a';
const B = 'tests/a.test.ts::b';
const scope = (id: string, status: ScopeUsage['status'], replayed: string[] = [], written: ScopeUsage['written'] = []): ScopeUsage => ({ id, status, replayed, written, missed: [] });
const usage = (...scopes: ScopeUsage[]): FileUsage => ({ mode: 'replay', recordings: 'recordings', testFile: 'tests/a.test.ts', scopes });
const unusedRecordings = (recordings: string[], files: FileUsage[], complete: boolean) =>
  judgeRecordings(recordings, files, complete).unused;
const NONE_KEPT = { skipped: 0, failed: 0, notRun: 0, unknownIds: 0, shared: 0 };
const NO_TOKENS = { prompt: 0, completion: 0 };
const LIVE = 'POST https://api.example/v1/chat';

describe('unusedRecordings', () => {
  const a1 = `${folder(A)}/aaaaaaaaaaaaaaaa.json`;
  const a2 = `${folder(A)}/bbbbbbbbbbbbbbbb.json`;
  const b1 = `${folder(B)}/cccccccccccccccc.json`;
  const orphan = `${folder('tests/gone.test.ts::x')}/dddddddddddddddd.json`;
  const shared = '_shared/models-eeeeeeeeeeeeeeee-12345678.json';
  const all = [a1, a2, b1, orphan, shared];

  it('in the folder of a test that passed, what it did not use is unused', () => {
    expect(unusedRecordings(all, [usage(scope(A, 'passed', [a1]), scope(B, 'passed', [b1]))], false)).toEqual([a2]);
  });

  it('keeps the folder of a test that failed or was skipped, in any of its runs', () => {
    const failed = judgeRecordings(all, [usage(scope(A, 'failed', [a1]))], false);
    expect(failed).toEqual({ unused: [], kept: { ...NONE_KEPT, failed: 1, notRun: 3 } });
    const skipped = judgeRecordings(all, [usage(scope(A, 'skipped'))], false);
    expect(skipped).toEqual({ unused: [], kept: { ...NONE_KEPT, skipped: 2, notRun: 3 } });
    expect(unusedRecordings(all, [usage(scope(A, 'passed', [a1])), usage(scope(A, 'failed'))], false)).toEqual([]);
  });

  it('unseen tests go after a complete run, skipped or failed tests notwithstanding; shared ones only when every test passed', () => {
    const passing = [usage(scope(A, 'passed', [a1, a2]), scope(B, 'passed', [b1]))];
    expect(judgeRecordings(all, passing, false)).toEqual({ unused: [], kept: { ...NONE_KEPT, notRun: 2 } });
    expect(unusedRecordings(all, passing, true)).toEqual([orphan, shared]);
    const skipped = [usage(scope(A, 'passed', [a1, a2]), scope(B, 'skipped'))];
    expect(judgeRecordings(all, skipped, true)).toEqual({ unused: [orphan], kept: { ...NONE_KEPT, skipped: 1, shared: 1 } });
    const failed = [usage(scope(A, 'failed', [a1]), scope(B, 'passed', [b1]))];
    expect(judgeRecordings(all, failed, true)).toEqual({ unused: [orphan], kept: { ...NONE_KEPT, failed: 1, shared: 1 } });
  });

  it('a test that did not run to its end, in a file that sets its own ids, keeps every folder no test used', () => {
    const setsIds = [{ ...usage(scope(A, 'passed', [a1, a2]), scope(B, 'skipped')), setsIds: true }];
    expect(judgeRecordings(all, setsIds, true)).toEqual({ unused: [], kept: { ...NONE_KEPT, skipped: 1, unknownIds: 1, shared: 1 } });
    // Every test of it ran to its end: its ids are known.
    const allRan = [{ ...usage(scope(A, 'passed', [a1, a2]), scope(B, 'passed', [b1])), setsIds: true }];
    expect(unusedRecordings(all, allRan, true)).toEqual([orphan, shared]);
  });

  it('keptLine says what was kept, and why', () => {
    expect(keptLine(NONE_KEPT)).toBeUndefined();
    const kept = keptLine({ ...NONE_KEPT, skipped: 2, failed: 1 });
    expect(kept).toBe('kept 3 recordings no test used: 2 of skipped or todo tests, 1 of failed tests');
  });

  it('countListed counts from a listing, folder by folder, what judgeRecordings judges; what the run deleted since it was listed is left out', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-counted-'));
    try {
      const root = 'ffffffffffffffff.json';
      for (const file of [...all, root, `${folder(A)}/notes.txt`, '_shared/README.md']) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), '{}');
      }
      const tree = listFolders(dir);
      const scenarios: [FileUsage[], boolean][] = [
        [[usage(scope(A, 'passed', [a1]), scope(B, 'passed', [b1]))], false],
        [[usage(scope(A, 'failed', [a1]))], false],
        [[usage(scope(A, 'skipped'))], true],
        [[usage(scope(A, 'passed', [a1, a2]), scope(B, 'passed', [b1]))], true],
        [[{ ...usage(scope(A, 'passed', [a1, a2]), scope(B, 'skipped')), setsIds: true }], true],
      ];
      for (const [files, complete] of scenarios) {
        const judged = judgeRecordings([...all, root], files, complete);
        expect(countListed(tree, files, complete, [])).toEqual({ unused: judged.unused.length, kept: judged.kept, unreadable: [] });
      }
      const rerecorded = [usage(scope(A, 'passed', [], [{ file: a1, outcome: 'unchanged' }]), scope(B, 'passed', [b1]))];
      expect(countListed(tree, rerecorded, true, []).unused).toBe(4);
      expect(countListed(tree, rerecorded, true, [a2]).unused).toBe(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('what a test wrote (record mode) is used, shared files included', () => {
    const wrote = usage(scope(A, 'passed', [], [{ file: a1, outcome: 'created' }, { file: shared, outcome: 'unchanged' }]), scope(B, 'passed', [b1]));
    expect(unusedRecordings(all, [wrote], true)).toEqual([a2, orphan]);
  });

  it('a good recording a failed re-recording kept is used, and the summary lists it', () => {
    const kept = usage({ ...scope(A, 'passed', [a1]), kept: [{ file: a2, got: '401 Unauthorized' }] }, scope(B, 'passed', [b1]));
    expect(unusedRecordings(all, [kept], true)).toEqual([orphan, shared]);
    expect(summarizeUsage([kept]).kept).toEqual([{ file: a2, got: '401 Unauthorized' }]);
  });
});

describe('mergeShards', () => {
  const shard = (name: string, complete?: boolean) => ({ shard: name, run: complete === undefined ? undefined : { mode: 'replay' as const, complete }, files: [usage(scope(name, 'passed'))], unreadable: [] });

  it('is complete when the unsharded run was, or every shard of one count was', () => {
    expect(mergeShards([shard('all', true)]).complete).toBe(true);
    expect(mergeShards([shard('shard-1-of-2', true), shard('shard-2-of-2', true)]).complete).toBe(true);
  });

  it('is partial when a shard is missing, incomplete, or has no run record, and says which', () => {
    expect(mergeShards([shard('shard-1-of-2', true)])).toMatchObject({ complete: false, why: 'shard 2/2 missing' });
    const partial = { ...shard('shard-2-of-2'), run: { mode: 'replay' as const, complete: false, why: '-t one' } };
    expect(mergeShards([shard('shard-1-of-2', true), partial])).toMatchObject({ complete: false, why: 'shard 2/2: -t one' });
    expect(mergeShards([shard('shard-1-of-2', true), shard('shard-2-of-2')])).toMatchObject({
      complete: false,
      why: 'shard 2/2 has no run record (the reporter did not run)',
    });
    expect(mergeShards([shard('shard-1-of-3', true), shard('shard-2-of-2', true)])).toMatchObject({
      complete: false,
      why: 'shard 2/3, shard 3/3 missing; shard 1/2 missing',
    });
  });

  it('unites the files of every shard', () => {
    expect(mergeShards([shard('shard-1-of-2', true), shard('shard-2-of-2')]).files.flatMap((f) => f.scopes.map((s) => s.id))).toEqual(['shard-1-of-2', 'shard-2-of-2']);
  });
});

describe('summarizeUsage', () => {
  it('counts distinct files replayed and written, missed requests, and lists what changed on disk', () => {
    const summary = summarizeUsage([
      usage(scope(A, 'passed', ['x.json', 'x.json'], [{ file: 'n.json', outcome: 'created' }, { file: 's.json', outcome: 'unchanged' }])),
      usage({ ...scope(B, 'failed', ['x.json'], [{ file: 'c.json', outcome: 'changed' }]), missed: ['POST http://x/v1/chat/completions'] }),
    ], ['old.json']);
    expect(summary).toEqual({
      replayed: 1,
      recorded: 3,
      missing: 1,
      changes: [
        { file: 'c.json', change: 'changed' },
        { file: 'n.json', change: 'new' },
        { file: 'old.json', change: 'deleted' },
      ],
      unreached: [],
      ignored: new Map(),
      late: [],
      kept: [],
      live: [],
      skippedLive: [],
      tokens: { replayed: NO_TOKENS, recorded: NO_TOKENS },
      tokensByFile: [{ testFile: 'tests/a.test.ts', tokens: { replayed: NO_TOKENS, recorded: NO_TOKENS } }],
    });
  });

  it('sums the tokens replayed and recorded, in all and by test file; lists live requests and skipped live tests', () => {
    const other = { ...usage({ ...scope(B, 'passed'), tokens: { recorded: { prompt: 5, completion: 1 } } }), testFile: 'tests/b.test.ts' };
    const summary = summarizeUsage([
      usage({ ...scope(A, 'passed'), tokens: { replayed: { prompt: 10, completion: 4 } }, live: [LIVE, LIVE] }),
      usage({ ...scope('tests/a.test.ts::smoke', 'skipped'), mode: 'live' }),
      other,
    ]);
    expect(summary.tokens).toEqual({ replayed: { prompt: 10, completion: 4 }, recorded: { prompt: 5, completion: 1 } });
    expect(summary.tokensByFile.map((f) => [f.testFile, f.tokens.replayed.prompt, f.tokens.recorded.prompt])).toEqual([
      ['tests/a.test.ts', 10, 0],
      ['tests/b.test.ts', 0, 5],
    ]);
    expect(summary.live).toEqual([{ request: LIVE, from: A }]);
    expect(summary.skippedLive).toEqual(['tests/a.test.ts::smoke']);
  });

  it('lists each request refused after its test or test file ended once, with what started it', () => {
    const late = { request: 'POST http://127.0.0.1:4000/v1/chat/completions', from: 'a.test.js::t', after: 'file' } as const;
    const outlived = { ...late, after: 'test' } as const;
    const summary = summarizeUsage([
      { ...usage(scope(A, 'passed')), late: [late, outlived] },
      { ...usage(scope(B, 'passed')), late: [late] },
    ]);
    expect(summary.late).toEqual([late, outlived]);
  });

  it('merges the requests that reached no server (each once) and those ignoreHosts left alone (by host); older notes lack both', () => {
    const down = 'POST http://127.0.0.1:4010/v1/chat/completions (ECONNREFUSED)';
    const summary = summarizeUsage([
      { ...usage({ ...scope(A, 'passed'), unreached: [down] }), ignored: { 'localhost:3000': 2 } },
      { ...usage({ ...scope(B, 'passed'), unreached: [down] }), ignored: { 'localhost:3000': 1, '127.0.0.1:8321': 4 } },
      usage(scope(B, 'passed')),
    ]);
    expect(summary.unreached).toEqual([down]);
    expect(summary.ignored).toEqual(new Map([['localhost:3000', 3], ['127.0.0.1:8321', 4]]));
  });
});

describe('on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-usage-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('usage files are read back per shard with their run record', () => {
    writeFileUsage(dir, undefined, usage(scope(A, 'passed')), 'one');
    writeFileUsage(dir, { shardIndex: 1, shardCount: 2 }, usage(scope(B, 'passed')), 'two');
    writeRunRecord(dir, undefined, { mode: 'replay', complete: true });
    const shards = readUsage(dir);
    expect(shards.map((s) => [s.shard, s.run, s.files.length])).toEqual([
      ['all', { mode: 'replay', complete: true }, 1],
      ['shard-1-of-2', undefined, 1],
    ]);
  });

  it('a file that is not a usage note is left out and named, and the rest is read', () => {
    writeFileUsage(dir, undefined, usage(scope(A, 'passed')), 'good');
    fs.writeFileSync(path.join(dir, 'all', 'cut.json'), '{"mode": "repl');
    fs.writeFileSync(path.join(dir, 'all', 'other.json'), '{"scopes": 3}');
    fs.writeFileSync(path.join(dir, 'all', 'run.json'), 'null');
    writeFileUsage(dir, { shardIndex: 2, shardCount: 2 }, usage(scope(B, 'passed')), 'two');
    const [all, ...others] = readUsage(dir, 'all');
    expect(others).toEqual([]);
    expect(all.files.map((f) => f.scopes[0].id)).toEqual([A]);
    expect(all.run).toBeUndefined();
    expect(all.unreadable).toEqual([
      { file: path.join(dir, 'all', 'cut.json'), reason: 'not JSON' },
      { file: path.join(dir, 'all', 'other.json'), reason: "not jest-replay's usage note" },
      { file: path.join(dir, 'all', 'run.json'), reason: "not jest-replay's usage note" },
    ]);
    expect(readUsage(dir).map((s) => s.shard)).toEqual(['all', 'shard-2-of-2']);
  });

  it('a new run forgets the usage it supersedes', () => {
    const names = () => fs.readdirSync(dir).sort();
    for (const s of [undefined, { shardIndex: 1, shardCount: 2 }, { shardIndex: 2, shardCount: 2 }, { shardIndex: 1, shardCount: 3 }]) writeFileUsage(dir, s, usage(), 'x');
    startUsage(dir, { shardIndex: 1, shardCount: 2 });
    // Its own shard, the unsharded run and other shard counts go; the sibling shard stays.
    expect(names()).toEqual(['shard-2-of-2']);
    startUsage(dir, undefined);
    expect(names()).toEqual([]);
  });

  it('startUsage throws, writing nothing, when the usage directory cannot be written; readUsage finds nothing there', () => {
    fs.writeFileSync(path.join(dir, 'file'), 'in the way');
    expect(() => startUsage(path.join(dir, 'file', 'usage'), undefined)).toThrow(`${path.join(dir, 'file')} is a file, not a folder`);
    expect(readUsage(path.join(dir, 'file', 'usage'))).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual(['file']);
  });

  it('listRecordings lists recording files only; leftoverTemporaryFiles, temporary files of processes no longer running', () => {
    const write = (file: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), '{}');
    };
    const dead = 2 ** 22 + 12345; // above Linux's pid_max default: no such process
    for (const file of ['t/x-1/0123456789abcdef.json', 't/x-1/0123456789abcdef.2.json', 't/x-1/README.md', '_shared/models-0123456789abcdef-aaaa1111.json']) write(file);
    write(`t/x-1/0123456789abcdef.json.${dead}.abcd.tmp`);
    write(`t/x-1/fedcba9876543210.json.${process.pid}.abcd.tmp`);
    expect(listRecordings(dir)).toEqual(['_shared/models-0123456789abcdef-aaaa1111.json', 't/x-1/0123456789abcdef.2.json', 't/x-1/0123456789abcdef.json']);
    expect(leftoverTemporaryFiles(dir)).toEqual([path.join(dir, `t/x-1/0123456789abcdef.json.${dead}.abcd.tmp`)]);
  });
});
