import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  KEY_FILE_LENGTH,
  SHARED_FOLDER,
  insideDir,
  modelListFileName,
  parseRecordingFileName,
  recordingFileName,
  safeSegment,
  testFolder,
} from '../../src/core/store/paths';
import { assignTestIds, relativeTestPath } from '../../src/jest/test-id';

const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const hash8 = (text: string) => hex(text).slice(0, 8);
const KEY = 'abcdef0123456789' + 'f'.repeat(48);
const DIR = path.join(os.tmpdir(), 'jest-replay-paths');

/** Our own statement of a segment that works on Linux, macOS and Windows. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;
function expectPortable(segment: string): void {
  expect(segment).toMatch(/^[A-Za-z0-9._-]+$/);
  expect(segment.length).toBeGreaterThan(0);
  expect(segment.length).toBeLessThanOrEqual(64);
  expect(segment).not.toMatch(/^\./);
  expect(segment).not.toMatch(/[. ]$/);
  expect(segment).not.toMatch(RESERVED);
}
const segmentsOf = (relative: string) => relative.split(path.sep);

describe('relativeTestPath', () => {
  it('is the path relative to rootDir with /', () => {
    expect(relativeTestPath('/repo', '/repo/tests/chat/basic.test.ts')).toBe('tests/chat/basic.test.ts');
    expect(relativeTestPath('/repo', '/repo/a.test.ts')).toBe('a.test.ts');
  });

  it('uses / even where the platform separator is \\', () => {
    jest.isolateModules(() => {
      jest.doMock('node:path', () => jest.requireActual<typeof path>('node:path').win32);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { relativeTestPath: onWindows } = require('../../src/jest/test-id') as typeof import('../../src/jest/test-id');
      expect(onWindows('C:\\repo', 'C:\\repo\\tests\\chat\\basic.test.ts')).toBe('tests/chat/basic.test.ts');
    });
    jest.dontMock('node:path');
  });
});

describe('assignTestIds', () => {
  it('joins file, describes and title with ::', () => {
    expect(assignTestIds('tests/chat.test.ts', [['chat', 'streaming', 'says hi'], ['top level']])).toEqual([
      'tests/chat.test.ts::chat::streaming::says hi',
      'tests/chat.test.ts::top level',
    ]);
  });

  it('gives duplicates distinct ids suffixed by declaration order', () => {
    expect(assignTestIds('f.ts', [['d', 't'], ['d', 't'], ['other'], ['d', 't']])).toEqual([
      'f.ts::d::t',
      'f.ts::d::t (2)',
      'f.ts::other',
      'f.ts::d::t (3)',
    ]);
  });

  it('is deterministic', () => {
    const tests = [['a'], ['a'], ['b'], ['a']];
    expect(assignTestIds('f.ts', tests)).toEqual(assignTestIds('f.ts', tests));
  });

  it('keeps ids distinct when a literal title looks like a generated suffix', () => {
    const before = assignTestIds('f.ts', [['t'], ['t (2)'], ['t']]);
    expect(before).toEqual(['f.ts::t', 'f.ts::t (2)', 'f.ts::t (3)']);
    const after = assignTestIds('f.ts', [['t'], ['t'], ['t (2)'], ['t (2)']]);
    expect(new Set(after).size).toBe(4);
    expect(after.slice(0, 2)).toEqual(['f.ts::t', 'f.ts::t (2)']);
  });

  it('keeps ids distinct when a title contains :: itself', () => {
    const ids = assignTestIds('f.ts', [['a::b'], ['a', 'b']]);
    expect(new Set(ids).size).toBe(2);
  });

  it('gives an empty list for no tests', () => {
    expect(assignTestIds('f.ts', [])).toEqual([]);
  });
});

describe('safeSegment', () => {
  it.each([
    ['plain-name_1.test.ts', 'plain-name_1.test.ts'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['com1', '_com1'],
    ['Lpt3.log', '_Lpt3.log'],
    ['a<>:"/\\|?*b', 'a_b'],
    ['trailing dot.', 'trailing_dot_'],
    ['trailing space ', 'trailing_space_'],
    ['..', '__'],
    ['.hidden', '_hidden'],
    ['', '_'],
  ])('%j → %j', (raw, expected) => {
    expect(safeSegment(raw)).toBe(expected);
    expectPortable(safeSegment(raw));
  });

  it('shortens a long segment to 64 characters ending with a hash of the original', () => {
    const raw = 'x'.repeat(500);
    expect(safeSegment(raw)).toBe(`${'x'.repeat(55)}-${hash8(raw)}`);
  });
});

describe('testFolder', () => {
  it('is the file path as folders, then the rest of the id with a hash of the whole id', () => {
    const id = 'tests/chat.test.ts::chat::says hi';
    expect(testFolder(id)).toBe(path.join('tests', 'chat.test.ts', `chat_says_hi-${hash8(id)}`));
  });

  it('an id without :: is a single folder', () => {
    expect(testFolder('custom id')).toBe(`custom_id-${hash8('custom id')}`);
  });

  it('is deterministic across calls', () => {
    const id = 'tests/a.test.ts::Ω weird <title>';
    expect(testFolder(id)).toBe(testFolder(id));
  });

  it.each([
    'a.test.ts::..',
    'a.test.ts::../../etc/passwd',
    '../../etc/passwd::x',
    '..::..',
    '/etc/passwd::x',
    '..',
    '../../../../tmp/evil',
    'C:\\Windows\\System32::x',
    '\\\\server\\share::x',
  ])('%j stays inside the recordings directory', (id) => {
    const relative = testFolder(id);
    expect(path.isAbsolute(relative)).toBe(false);
    const full = insideDir(DIR, relative);
    const back = path.relative(DIR, full);
    expect(back.split(path.sep)).not.toContain('..');
    expect(back.startsWith('..')).toBe(false);
    expect(full.startsWith(DIR + path.sep)).toBe(true);
  });

  it.each([
    'a.test.ts::CON',
    'a.test.ts::com1',
    'CON/aux.test.ts::prn',
    'nul.txt::x',
    'a.test.ts::<>:"/\\|?*',
    'a.test.ts::trailing dot.',
    'a.test.ts::trailing space ',
    'dir./sub /x.test.ts::t',
    `a.test.ts::${'long title '.repeat(50)}`,
    `${'deep'.repeat(125)}/${'f'.repeat(500)}.test.ts::${'t'.repeat(500)}`,
    'a.test.ts::😀 emoji and ümlaut',
    'a.test.ts::',
  ])('every segment of %j is portable and at most 64 characters', (id) => {
    for (const segment of segmentsOf(testFolder(id))) expectPortable(segment);
  });

  it('a title that is a Windows device name with an extension does not become a reserved leaf', () => {
    // Windows treats `NUL.txt-1234abcd` as the device NUL (a reserved name followed by an extension).
    for (const title of ['nul.txt', 'CON.md', 'aux.tar.gz']) {
      const leaf = segmentsOf(testFolder(`a.test.ts::${title}`)).pop() as string;
      expect(leaf).not.toMatch(RESERVED);
    }
  });

  it('ids differing only in case map to different folders, even on a case-insensitive file system', () => {
    const folders = ['a.test.ts::Hello', 'a.test.ts::hello', 'a.test.ts::HELLO', 'A.test.ts::hello'].map((id) => testFolder(id).toLowerCase());
    expect(new Set(folders).size).toBe(4);
  });

  it('ids differing only in characters that sanitize alike map to different folders', () => {
    const ids = ['a?b', 'a*b', 'a b', 'a_b', 'a<>b', 'a:b', 'a/b', 'a\\b', 'a::b'].map((t) => `x.test.ts::${t}`);
    const folders = ids.map((id) => testFolder(id).toLowerCase());
    expect(new Set(folders).size).toBe(ids.length);
  });

  it('long ids differing only at the end map to different folders', () => {
    const long = 'x'.repeat(500);
    expect(testFolder(`f.ts::${long}1`)).not.toBe(testFolder(`f.ts::${long}2`));
  });
});

describe('recording file names', () => {
  it('uses 16 hex digits of the key, and the ordinal from the second one on', () => {
    expect(KEY_FILE_LENGTH).toBe(16);
    expect(recordingFileName(KEY, 1)).toBe('abcdef0123456789.json');
    expect(recordingFileName(KEY, 2)).toBe('abcdef0123456789.2.json');
    expect(recordingFileName(KEY, 17)).toBe('abcdef0123456789.17.json');
  });

  it.each([1, 2, 3, 10, 123])('round-trips ordinal %i', (ordinal) => {
    expect(parseRecordingFileName(recordingFileName(KEY, ordinal))).toEqual({ stem: KEY.slice(0, 16), ordinal });
  });

  it.each([
    'abcdef012345678.json',
    'abcdef01234567890.json',
    'ABCDEF0123456789.json',
    'abcdef0123456789.json.tmp',
    'abcdef0123456789.json.123.abcd1234.tmp',
    'abcdef0123456789.x.json',
    'models-abcdef0123456789-12345678.json',
    'abcdef0123456789',
  ])('ignores %j', (name) => {
    expect(parseRecordingFileName(name)).toBeUndefined();
  });

  it('model lists are named like llama-stack: models-<key16>-<digest>.json', () => {
    expect(modelListFileName(KEY, '3ff721a4')).toBe('models-abcdef0123456789-3ff721a4.json');
    expect(SHARED_FOLDER).toBe('_shared');
  });
});

describe('insideDir', () => {
  it('resolves a relative path under the directory', () => {
    expect(insideDir(DIR, path.join('a', 'b.json'))).toBe(path.join(DIR, 'a', 'b.json'));
    expect(insideDir(DIR, path.join('a', '..', 'b.json'))).toBe(path.join(DIR, 'b.json'));
  });

  it.each([
    '..',
    path.join('..', 'sibling'),
    path.join('a', '..', '..', 'x'),
    path.join('..', path.basename(DIR) + '-evil', 'x.json'),
    '/etc/passwd',
  ])('throws for %j, naming both paths', (relative) => {
    expect(() => insideDir(DIR, relative)).toThrow(`it is outside ${DIR}`);
  });
});
