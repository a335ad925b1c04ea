import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RecordingFileError } from '../../src/core/errors';
import { type Recording, serializeRecording } from '../../src/core/recording/format';
import { walkTree } from '../../src/core/store/storage';
import { cleanUpRun } from '../../src/core/store/clean-up';
import { RecordingStore } from '../../src/core/store/store';

const TEST_ID = 'tests/chat.test.ts::chat::says hi';
const KEY = createHash('sha256').update('store key').digest('hex');
const OTHER_KEY = createHash('sha256').update('another key').digest('hex');
const STEM = KEY.slice(0, 16);
const LEAF = `chat_says_hi-${createHash('sha256').update(TEST_ID).digest('hex').slice(0, 8)}`;

function recording(answer: string, overrides: Partial<Recording> = {}): Recording {
  return {
    test_id: TEST_ID,
    request: {
      method: 'POST',
      url: 'https://api.openai.com/v1/chat/completions',
      headers: {},
      body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
      endpoint: '/v1/chat/completions',
      model: 'gpt-4o',
    },
    response: { body: { answer, note: '°' }, is_streaming: false },
    id_normalization_mapping: {},
    ...overrides,
  };
}

/** Every file under a folder, relative, sorted. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory() ? tree(path.join(dir, entry.name)).map((child) => path.join(entry.name, child)) : [entry.name],
    )
    .sort();
}

/** The module object itself: the namespace import's bindings cannot be spied on, but read through to it. */
const nodeFs: typeof fs = require('node:fs');

let dir: string;
let store: RecordingStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-store-'));
  store = new RecordingStore(dir);
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('layout', () => {
  it('a test folder is the test file as folders, then the test', () => {
    expect(store.folderOf(TEST_ID)).toBe(path.join(dir, 'tests', 'chat.test.ts', LEAF));
  });

  it('shared recordings live in _shared', () => {
    expect(store.folderOf(null)).toBe(path.join(dir, '_shared'));
    expect(store.modelListFile(KEY, '3ff721a4')).toBe(path.join(dir, '_shared', `models-${STEM}-3ff721a4.json`));
  });

  it('fileFor names the nth recording', () => {
    expect(store.fileFor(TEST_ID, KEY, 1)).toBe(path.join(dir, 'tests', 'chat.test.ts', LEAF, `${STEM}.json`));
    expect(store.fileFor(TEST_ID, KEY, 3)).toBe(path.join(dir, 'tests', 'chat.test.ts', LEAF, `${STEM}.3.json`));
  });

  it('a hostile test id still maps inside the directory', () => {
    expect(store.folderOf('../../../etc/passwd::../../x').startsWith(dir + path.sep)).toBe(true);
  });
});

describe('write', () => {
  it('writes exactly serializeRecording, creating folders, leaving no temporary file', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    await store.write(file, recording('one'));
    expect(fs.readFileSync(file, 'utf8')).toBe(serializeRecording(recording('one')));
    expect(tree(dir)).toEqual([path.join('tests', 'chat.test.ts', LEAF, `${STEM}.json`)]);
  });

  it('says whether the file is new, changed or unchanged, and leaves an unchanged file untouched', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    expect(await store.write(file, recording('one'))).toBe('created');
    const spy = jest.spyOn(nodeFs, 'renameSync');
    try {
      expect(await store.write(file, recording('one'))).toBe('unchanged');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(await store.write(file, recording('two'))).toBe('changed');
  });

  it('writes a stream bigger than one write batch exactly as serialized, and knows it unchanged next time', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    const chunks = Array.from({ length: 3000 }, (_, i) => ({ i, text: `chunk ${i} °`.repeat(60) }));
    const stream = recording('', { response: { body: chunks, is_streaming: true } });
    expect(await store.write(file, stream)).toBe('created');
    const text = fs.readFileSync(file, 'utf8');
    expect(text.length).toBeGreaterThan(2 << 20);
    expect(text).toBe(serializeRecording(stream));
    expect(await store.write(file, stream)).toBe('unchanged');
  });

  it('replaces an existing file whole', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    await store.write(file, recording('a much longer first answer '.repeat(20)));
    await store.write(file, recording('short'));
    expect(fs.readFileSync(file, 'utf8')).toBe(serializeRecording(recording('short')));
    expect(tree(path.dirname(file))).toEqual([`${STEM}.json`]);
  });

  it('concurrent writes of one file leave one complete file and no temporary files', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    const answers = Array.from({ length: 20 }, (_, i) => `answer ${i} `.repeat(200));
    await Promise.all(answers.map((answer) => store.write(file, recording(answer))));
    const text = fs.readFileSync(file, 'utf8');
    expect(answers.map((answer) => serializeRecording(recording(answer)))).toContain(text);
    expect(tree(path.dirname(file))).toEqual([`${STEM}.json`]);
  });

  it('never exposes a partial file: the target only appears by rename', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    const renames: [string, string][] = [];
    const rename = fs.renameSync;
    const spy = jest.spyOn(nodeFs, 'renameSync').mockImplementation((from, to) => {
      renames.push([String(from), String(to)]);
      // Before the rename, the target does not exist yet.
      expect(fs.existsSync(file)).toBe(false);
      return rename(from, to);
    });
    try {
      await store.write(file, recording('one'));
    } finally {
      spy.mockRestore();
    }
    expect(renames).toHaveLength(1);
    expect(renames[0][1]).toBe(file);
    expect(path.dirname(renames[0][0])).toBe(path.dirname(file));
    expect(renames[0][0].endsWith('.tmp')).toBe(true);
    expect(fs.existsSync(renames[0][0])).toBe(false);
  });

  it('removes the temporary file when the rename fails', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    const spy = jest.spyOn(nodeFs, 'renameSync').mockImplementation(() => {
      throw new Error('EXDEV');
    });
    try {
      await expect(store.write(file, recording('one'))).rejects.toThrow('EXDEV');
    } finally {
      spy.mockRestore();
    }
    expect(tree(dir)).toEqual([]);
  });
});

describe('locate', () => {
  it('is undefined when the test has no recording of the key', async () => {
    expect(store.locate(TEST_ID, KEY, 1)).toBeUndefined();
    await store.write(store.fileFor(TEST_ID, OTHER_KEY, 1), recording('other'));
    expect(store.locate(TEST_ID, KEY, 1)).toBeUndefined();
    expect(store.locate('tests/chat.test.ts::another test', OTHER_KEY, 1)).toBeUndefined();
  });

  it('returns the nth recording of a key', async () => {
    for (const n of [1, 2, 3]) await store.write(store.fileFor(TEST_ID, KEY, n), recording(`answer ${n}`));
    const fresh = new RecordingStore(dir);
    for (const n of [1, 2, 3]) expect(fresh.locate(TEST_ID, KEY, n)).toBe(store.fileFor(TEST_ID, KEY, n));
  });

  it('falls back to the last recording when the ordinals run out', async () => {
    for (const n of [1, 2]) await store.write(store.fileFor(TEST_ID, KEY, n), recording(`answer ${n}`));
    const fresh = new RecordingStore(dir);
    expect(fresh.locate(TEST_ID, KEY, 3)).toBe(store.fileFor(TEST_ID, KEY, 2));
    expect(fresh.locate(TEST_ID, KEY, 99)).toBe(store.fileFor(TEST_ID, KEY, 2));
  });

  it('sees files written after the folder was first listed', async () => {
    expect(store.locate(TEST_ID, KEY, 1)).toBeUndefined();
    await store.write(store.fileFor(TEST_ID, KEY, 1), recording('one'));
    expect(store.locate(TEST_ID, KEY, 1)).toBe(store.fileFor(TEST_ID, KEY, 1));
    await store.write(store.fileFor(TEST_ID, KEY, 2), recording('two'));
    expect(store.locate(TEST_ID, KEY, 2)).toBe(store.fileFor(TEST_ID, KEY, 2));
    expect(store.locate(TEST_ID, KEY, 5)).toBe(store.fileFor(TEST_ID, KEY, 2));
  });

  it('orders ordinals numerically (10 after 9)', async () => {
    for (const n of [1, 9, 10]) await store.write(store.fileFor(TEST_ID, KEY, n), recording(`answer ${n}`));
    expect(new RecordingStore(dir).locate(TEST_ID, KEY, 11)).toBe(store.fileFor(TEST_ID, KEY, 10));
  });

  it('ignores files that are not recordings', async () => {
    const folder = store.folderOf(TEST_ID);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, `${STEM}.json.123.abcd.tmp`), '{');
    fs.writeFileSync(path.join(folder, 'README.md'), 'x');
    expect(store.locate(TEST_ID, KEY, 1)).toBeUndefined();
  });
});

describe('locateModelLists', () => {
  it('finds every digest of a key, sorted, and nothing of other keys', async () => {
    await store.write(store.modelListFile(KEY, 'bbbb2222'), recording('b', { test_id: null }));
    await store.write(store.modelListFile(KEY, 'aaaa1111'), recording('a', { test_id: null }));
    await store.write(store.modelListFile(OTHER_KEY, 'cccc3333'), recording('c', { test_id: null }));
    expect(store.locateModelLists(KEY)).toEqual([
      path.join(dir, '_shared', `models-${STEM}-aaaa1111.json`),
      path.join(dir, '_shared', `models-${STEM}-bbbb2222.json`),
    ]);
  });

  it('is empty when there is no shared folder or no list of the key', async () => {
    expect(store.locateModelLists(KEY)).toEqual([]);
    await store.write(store.modelListFile(OTHER_KEY, 'cccc3333'), recording('c', { test_id: null }));
    expect(store.locateModelLists(KEY)).toEqual([]);
  });
});

describe('read', () => {
  it('reads back what was written', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    await store.write(file, recording('one'));
    expect(await store.read(file)).toEqual(recording('one'));
  });

  it('applies the id normalization mapping', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    await store.write(
      file,
      recording('resp_ORIG', { id_normalization_mapping: { 'rec-111111111111': 'resp_ORIG' } }),
    );
    const read = await store.read(file);
    expect(read.response.body).toEqual({ answer: 'rec-111111111111', note: '°' });
    expect(read.id_normalization_mapping).toEqual({});
  });

  it('a broken file throws an error naming the file', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    await store.write(file, recording('one'));
    fs.writeFileSync(file, serializeRecording(recording('one')).slice(0, 40));
    const error = (await store.read(file).then(
      () => new Error('read did not fail'),
      (e: unknown) => e,
    )) as RecordingFileError;
    expect(error).toBeInstanceOf(RecordingFileError);
    expect(error.file).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toContain('invalid JSON');
  });

  it('a missing file throws an error naming the file', async () => {
    const file = store.fileFor(TEST_ID, KEY, 1);
    const error = (await store.read(file).then(
      () => new Error('read did not fail'),
      (e: unknown) => e,
    )) as RecordingFileError;
    expect(error).toBeInstanceOf(RecordingFileError);
    expect(error.message).toContain(`cannot use recording ${file}`);
  });
});

describe('recordingsOf', () => {
  it('lists the parsed recordings of a test, leaving out other files and broken ones', async () => {
    await store.write(store.fileFor(TEST_ID, KEY, 1), recording('one'));
    await store.write(store.fileFor(TEST_ID, KEY, 2), recording('two'));
    const folder = store.folderOf(TEST_ID);
    fs.writeFileSync(path.join(folder, `${OTHER_KEY.slice(0, 16)}.json`), '{');
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'x');
    const found = await store.recordingsOf(TEST_ID);
    expect(found.map((f) => path.basename(f.file))).toEqual([`${STEM}.2.json`, `${STEM}.json`]);
    expect(found[1].recording.response.body).toEqual({ answer: 'one', note: '°' });
    expect(await store.recordingsOf('tests/none.test.ts::x')).toEqual([]);
  });
});

describe('walkTree', () => {
  it('lists regular files and reports links, never following one: outside, dangling, to itself or looping', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-outside-'));
    fs.writeFileSync(path.join(outside, `${STEM}.json`), '{}');
    fs.mkdirSync(path.join(dir, 't/x-1'), { recursive: true });
    fs.writeFileSync(path.join(dir, `t/x-1/${STEM}.json`), '{}');
    fs.symlinkSync(outside, path.join(dir, 't/escape'));
    fs.symlinkSync('nowhere', path.join(dir, 'dangling'));
    fs.symlinkSync('self', path.join(dir, 'self'));
    fs.symlinkSync('.', path.join(dir, 't/x-1/again'));
    fs.symlinkSync(`${STEM}.json`, path.join(dir, `t/x-1/${OTHER_KEY.slice(0, 16)}.json`));
    const tree = walkTree(dir);
    expect(tree.files).toEqual([`t/x-1/${STEM}.json`]);
    expect([...tree.links].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'dangling', target: 'nowhere' },
      { path: 'self', target: 'self' },
      { path: 't/escape', target: outside },
      { path: `t/x-1/${OTHER_KEY.slice(0, 16)}.json`, target: `${STEM}.json` },
      { path: 't/x-1/again', target: '.' },
    ]);
    fs.rmSync(outside, { recursive: true });
  });

  it('is empty for a directory that does not exist', () => {
    expect(walkTree(path.join(dir, 'none'))).toEqual({ files: [], links: [], unreadable: [] });
  });
});

describe('a linked recording file', () => {
  it('is neither replayed nor deleted as stale at the end of a record run: links are not recordings', async () => {
    const store = new RecordingStore(dir);
    const file = store.fileFor(TEST_ID, KEY, 1);
    await store.write(file, recording('kept'));
    const linked = store.fileFor(TEST_ID, OTHER_KEY, 1);
    fs.symlinkSync(path.basename(file), linked);
    const kept = path.relative(dir, file).split(path.sep).join('/');
    expect(new RecordingStore(dir).locate(TEST_ID, OTHER_KEY, 1)).toBeUndefined();
    expect(cleanUpRun(dir, [{ mode: 'record', recordings: 'r', testFile: 't', scopes: [{ id: TEST_ID, status: 'passed', mode: 'record', replayed: [], written: [{ file: kept, outcome: 'created' }], missed: [] }] }]).deleted).toEqual([]);
    expect(fs.lstatSync(linked).isSymbolicLink()).toBe(true);
  });
});
