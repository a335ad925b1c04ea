import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keysOf } from '../../src/core/inspect/keys';
import { applyMove, planMove, type MoveRequest } from '../../src/core/inspect/move';
import { verifyRecording } from '../../src/core/inspect/verify';
import { ignoreFields } from '../../src/core/keying/match-ignore';
import { type Recording, serializeRecording } from '../../src/core/recording/format';
import { walkTree } from '../../src/core/store/storage';
import { RecordingStore } from '../../src/core/store/store';

const OLD = 'tests/chat.test.ts::chat::says hi';
const NEW = 'tests/chat.test.ts::chat::greets';

function recording(content: string, testId = OLD, extra: Partial<Recording> = {}): Recording {
  return {
    test_id: testId,
    request: {
      method: 'POST',
      url: 'https://api.openai.com/v1/chat/completions',
      headers: {},
      body: { model: 'gpt-4o', user: 'alice', messages: [{ role: 'user', content }] },
      endpoint: '/v1/chat/completions',
      model: 'gpt-4o',
    },
    response: { body: { answer: content, price: 1.5 }, is_streaming: false },
    id_normalization_mapping: {},
    ...extra,
  };
}

describe('planMove and applyMove', () => {
  let dir: string;
  let store: RecordingStore;
  const request = (overrides: Partial<MoveRequest> = {}): MoveRequest => ({
    ...{ from: OLD, to: NEW, prefix: false, merge: false, rules: {} },
    ...overrides,
  });
  /** Writes a recording where the recorder would, under `rules`' key; returns its path. */
  const record = (rec: Recording, ordinal = 1, normalize?: MoveRequest['rules']['normalize']) => {
    const file = store.fileFor(rec.test_id, keysOf(rec, { normalize })[0], ordinal);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, serializeRecording(rec));
    return file;
  };
  const files = () => walkTree(dir).files.sort();
  const verified = () => files().flatMap((file) => verifyRecording(file, fs.readFileSync(path.join(dir, file), 'utf8')));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-move-'));
    store = new RecordingStore(dir);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('re-keys each file for the new id, ordinals kept, only test_id changed; the old folder goes', () => {
    const first = record(recording('hi'));
    record(recording('hi'), 2);
    const plan = planMove(dir, request());
    expect(plan.problems).toEqual([]);
    const names = plan.moves.map((move) => path.relative(store.folderOf(NEW), move.target)).sort();
    expect(names).toEqual([expect.stringMatching(/^[0-9a-f]{16}\.2\.json$/), expect.stringMatching(/^[0-9a-f]{16}\.json$/)]);
    expect(names[0].slice(0, 16)).toBe(names[1].slice(0, 16));
    applyMove(dir, plan);
    expect(fs.existsSync(path.dirname(first))).toBe(false);
    expect(files()).toHaveLength(2);
    expect(verified()).toEqual([]);
    const moved = fs.readFileSync(plan.moves[0].target, 'utf8');
    expect(moved).toBe(serializeRecording(recording('hi', NEW)));
  });

  test('the stored ids made from a key follow it, in the file and in a later request that quotes them', () => {
    const first = recording('hi');
    const firstKey = keysOf(first)[0];
    const answered = { ...first, response: { body: { id: `rec-${firstKey.slice(0, 12)}`, answer: 'hi' }, is_streaming: false } };
    record(answered);
    const followUp = recording('again');
    (followUp.request.body as Record<string, unknown>).previous_response_id = `rec-${firstKey.slice(0, 12)}`;
    record(followUp);
    const plan = planMove(dir, request());
    expect(plan.problems).toEqual([]);
    applyMove(dir, plan);
    expect(verified()).toEqual([]);
    const read = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const moved = files().map((file) => ({ stem: path.basename(file).slice(0, 12), data: read(file) }));
    const newFirst = moved.find(({ data }) => data.response.body.answer === 'hi')!;
    const newFollowUp = moved.find(({ data }) => data.response.body.answer === 'again')!;
    expect(newFirst.data.response.body.id).toBe(`rec-${newFirst.stem}`);
    expect(newFollowUp.data.request.body.previous_response_id).toBe(`rec-${newFirst.stem}`);
    expect(newFirst.stem).not.toBe(firstKey.slice(0, 12));
  });

  test("keys under the project's rules and the file's own match_ignore paths", () => {
    const dropUser: MoveRequest['rules']['normalize'] = (body) => ignoreFields(body, ['body.user']);
    record(recording('hi'), 1, dropUser);
    record(recording('own', OLD, { match_ignore: ['body.user'] }));
    expect(planMove(dir, request()).problems).toEqual([expect.stringContaining('its name or folder is not the one its request keys to')]);
    const plan = planMove(dir, request({ rules: { normalize: dropUser } }));
    expect(plan.problems).toEqual([]);
    applyMove(dir, plan);
    const texts = files().map((file) => fs.readFileSync(path.join(dir, file), 'utf8'));
    expect(files().flatMap((file, i) => verifyRecording(file, texts[i], { normalize: dropUser }))).toEqual([]);
    expect(texts.filter((text) => text.includes('"match_ignore"'))).toHaveLength(1);
  });

  test('a file that cannot be read where the old id lives stops everything', () => {
    record(recording('hi'));
    fs.writeFileSync(path.join(store.folderOf(OLD), '0123456789abcdef.json'), '{ broken');
    const before = files();
    const plan = planMove(dir, request());
    expect(plan.problems).toEqual([expect.stringMatching(/0123456789abcdef\.json cannot be read \(invalid JSON .*\): fix or delete it/)]);
    expect(files()).toEqual(before);
  });

  test('a new id with recordings is refused; --merge adds beside them, accepting the same recording, refusing another', () => {
    record(recording('hi'));
    record(recording('other', NEW));
    expect(planMove(dir, request()).problems).toEqual([`${NEW} already has 1 recording: --merge adds these beside them`]);
    const merged = planMove(dir, request({ merge: true }));
    expect(merged.problems).toEqual([]);
    applyMove(dir, merged);
    expect(files()).toHaveLength(2);

    record(recording('hi'));
    const same = planMove(dir, request({ merge: true }));
    expect(same.moves.map((move) => move.present)).toEqual([true]);
    applyMove(dir, same);
    expect(files()).toHaveLength(2);

    const different = recording('hi', OLD, { response: { body: { answer: 'changed' }, is_streaming: false } });
    record(different);
    const conflict = 'exists with another recording of the same request: delete one of the two';
    expect(planMove(dir, request({ merge: true })).problems).toEqual([expect.stringContaining(conflict)]);
  });

  test('nothing is written through a symbolic link on the way to the new folder', () => {
    record(recording('hi'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-outside-'));
    try {
      fs.symlinkSync(outside, path.join(dir, 'tests', 'elsewhere.test.ts'));
      const plan = planMove(dir, request({ to: 'tests/elsewhere.test.ts::says hi' }));
      expect(plan.problems).toEqual([expect.stringContaining('its new folder is reached through the symbolic link tests/elsewhere.test.ts')]);
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a prefix moves every id under it, and leaves others and shared recordings alone', () => {
    record(recording('hi'));
    record(recording('bye', 'tests/chat.test.ts::chat::says bye'));
    record(recording('elsewhere', 'tests/other.test.ts::chat::says hi'));
    const plan = planMove(dir, request({ from: 'tests/chat.test.ts::chat::', to: 'tests/chat.test.ts::talk::', prefix: true }));
    const moved = plan.moves.map((move) => move.testId).sort();
    expect(moved).toEqual(['tests/chat.test.ts::talk::says bye', 'tests/chat.test.ts::talk::says hi']);
    applyMove(dir, plan);
    const ids = files().map((file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')).test_id).sort();
    expect(ids).toEqual(['tests/chat.test.ts::talk::says bye', 'tests/chat.test.ts::talk::says hi', 'tests/other.test.ts::chat::says hi']);
    expect(verified()).toEqual([]);
  });
});
