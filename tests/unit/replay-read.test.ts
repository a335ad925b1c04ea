import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeResponse } from '../../src/core/recording/codec';
import { type Recording, serializeRecording } from '../../src/core/recording/format';
import { readLargeRecording } from '../../src/core/store/large-recording';
import { readRecordingFile, RecordingStore } from '../../src/core/store/store';
import { tokensOf } from '../../src/core/recording/tokens';

/** Reading recordings to replay them: small ones parsed once per test file, large streams left in their file. */

const TYPE = 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk';
const CHUNKS = 400;
const chunk = (n: number, content = 'x'.repeat(4 * 1024)) => ({
  __type__: TYPE,
  __data__: {
    id: 'chatcmpl-rec-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o',
    choices: [{ index: 0, delta: { content: `${n}:${content}` } }],
  },
});

function recording(body: unknown, response: Partial<Recording['response']> = {}, mapping: Record<string, string> = {}): Recording {
  return {
    test_id: 'tests/a.test.js::big',
    request: {
      method: 'POST',
      url: 'https://api.openai.com/v1/chat/completions',
      headers: {},
      body: { model: 'gpt-4o' },
      endpoint: '/v1/chat/completions',
      model: 'gpt-4o',
    },
    response: { body, is_streaming: Array.isArray(body), ...response },
    id_normalization_mapping: mapping,
  };
}

let dir: string;
let store: RecordingStore;
const file = (name: string) => path.join(dir, name);
const write = (name: string, text: string) => (fs.writeFileSync(file(name), text), file(name));
const pieces = (r: Recording) => [...decodeResponse(r.response).pieces].join('');

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-read-'));
  store = new RecordingStore(dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a large stream', () => {
  const chunks = Array.from({ length: CHUNKS }, (_, n) => chunk(n));
  const text = serializeRecording(recording(chunks));

  test('from 16 MiB on is replayed from its file: what a whole read gives, none of its chunks held until they are sent', async () => {
    const huge = write('huge.json', serializeRecording(recording(Array.from({ length: 17 }, (_, n) => chunk(n, 'h'.repeat(2 ** 20))))));
    const replayed = await store.readForReplay(huge);
    expect(Array.isArray(replayed.response.body)).toBe(false);
    expect(JSON.stringify({ ...replayed, response: { ...replayed.response, body: undefined } }).length).toBeLessThan(2_000);
    expect(pieces(replayed)).toBe(pieces(readRecordingFile(huge)));
    expect(pieces(replayed)).toMatch(/data: \[DONE\]\n\n$/);
  });

  test('read from its file replays the very bytes a whole read gives', () => {
    const large = write('large.json', text);
    expect(pieces(readLargeRecording(large, large)!)).toBe(pieces(readRecordingFile(large)));
  });

  test('gets its ids normalized chunk by chunk, as a whole read does', () => {
    const mapped = recording(chunks, {}, { 'chatcmpl-rec-1': 'chatcmpl-live-9' });
    (mapped.response.body as ReturnType<typeof chunk>[]).forEach((c) => (c.__data__.id = 'chatcmpl-live-9'));
    const large = write('mapped.json', serializeRecording(mapped));
    const replayed = readLargeRecording(large, large)!;
    expect(pieces(replayed)).toContain('"id":"chatcmpl-rec-1"');
    expect(pieces(replayed)).not.toContain('chatcmpl-live-9');
    expect(pieces(replayed)).toBe(pieces(readRecordingFile(large)));
  });

  test('with a chunk of an unknown type fails before anything is sent, naming the file and the chunk', () => {
    const broken = recording([...chunks.slice(0, 300), { __type__: 'not a class', __data__: {} }, ...chunks.slice(300)]);
    const large = write('broken.json', serializeRecording(broken));
    const problem = 'cannot use recording shown.json: unknown "__type__" "not a class" at response.body[300]';
    expect(() => readLargeRecording(large, 'shown.json')).toThrow(problem);
  });

  test('cut short fails as invalid JSON, naming the file', () => {
    const large = write('cut.json', text.slice(0, text.length - 100));
    const problem = /cannot use recording shown.json: invalid JSON \(.*\); the file may be truncated/;
    expect(() => readLargeRecording(large, 'shown.json')).toThrow(problem);
  });

  test('of raw SSE lines replays its events as a whole read does', () => {
    const lines = Array.from({ length: 600 }, (_, n) => [`event: delta`, `data: {"n":${n}}`, '']).flat();
    const stored = recording(lines.slice(0, -1), { headers: { 'content-type': 'text/event-stream' } });
    const large = write('lines.json', serializeRecording(stored));
    expect(pieces(readLargeRecording(large, large)!)).toBe(pieces(readRecordingFile(large)));
  });

  test('broken off mid-stream fails where the whole read fails', () => {
    const failed = recording(chunks.slice(0, 50), { is_exception: true, exception_data: { type: 'ReadError', message: 'terminated' } });
    const large = write('failed.json', serializeRecording(failed));
    const incremental = decodeResponse(readLargeRecording(large, large)!.response);
    const whole = decodeResponse(readRecordingFile(large).response);
    expect([...incremental.pieces]).toEqual([...whole.pieces]);
    expect(incremental.failure).toEqual(whole.failure);
  });

  test('has its tokens counted as it is first read: the summary does not read the file again for them', () => {
    const last = chunk(CHUNKS);
    const usage = { ...last, __data__: { ...last.__data__, choices: [], usage: { prompt_tokens: 11, completion_tokens: 29 } } };
    const large = write('usage.json', serializeRecording(recording([...chunks, usage])));
    const replayed = readLargeRecording(large, large)!;
    const whole = tokensOf(readRecordingFile(large));
    fs.rmSync(large);
    expect(tokensOf(replayed)).toEqual({ prompt: 11, completion: 29 });
    expect(tokensOf(replayed)).toEqual(whole);
  });

  test('that is no stream is read whole', () => {
    const large = write('whole.json', serializeRecording(recording({ text: 'z'.repeat(1000) })));
    expect(readLargeRecording(large, large)).toBeUndefined();
  });
});

describe('a small recording', () => {
  test('is parsed once per test file: a model list every test asks for is read once', async () => {
    const small = write('small.json', serializeRecording(recording([chunk(1, 'hi')])));
    const first = await store.readForReplay(small);
    fs.rmSync(small);
    expect(await store.readForReplay(small)).toBe(first);
  });

  test('written again by the store is read again', async () => {
    const small = write('small.json', serializeRecording(recording([chunk(1, 'hi')])));
    await store.readForReplay(small);
    await store.write(small, recording([chunk(2, 'bye')]));
    expect(pieces(await store.readForReplay(small))).toContain('2:bye');
  });
});
