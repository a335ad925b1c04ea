import * as fs from 'node:fs';
import * as path from 'node:path';
import { RecordingFileError } from '../../src/core/errors';
import {
  applyIdNormalization,
  isTypedValue,
  LazyChunks,
  type Recording,
  serializeRecording,
  unwrap,
} from '../../src/core/recording/format';
import { parseRecording } from '../../src/core/recording/parse';

const SAMPLE_ROOT = path.join(__dirname, '..', 'fixtures', 'llama-stack-sample');

function sampleFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? sampleFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]))
    .sort();
}
const samples = new Map(sampleFiles(SAMPLE_ROOT).map((file) => [path.basename(file).slice(0, 12), file] as const));
const sample = (prefix: string) => {
  const file = samples.get(prefix);
  if (!file) throw new Error(`no sample ${prefix}`);
  return { file, text: fs.readFileSync(file, 'utf8') };
};

function recording(overrides: Partial<Recording> = {}): Recording {
  return {
    test_id: 'tests/a.test.ts::t',
    request: {
      method: 'POST',
      url: 'https://api.openai.com/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
      endpoint: '/v1/chat/completions',
      model: 'gpt-4o',
    },
    response: { body: { ok: true }, is_streaming: false },
    id_normalization_mapping: {},
    ...overrides,
  };
}

function errorOf(run: () => unknown): RecordingFileError {
  try {
    run();
  } catch (error) {
    return error as RecordingFileError;
  }
  throw new Error('expected an error');
}

describe('serializeRecording', () => {
  it('writes a fixed key order, 2-space indent and a final newline', () => {
    // Built with every key out of order, to prove the order comes from the serializer.
    const scrambled = {
      id_normalization_mapping: { 'rec-1': 'chatcmpl-1' },
      response: { status: 429, body: { e: 1 }, is_streaming: false, headers: { 'retry-after': '2' } },
      request: { model: 'm', endpoint: '/v1/x', body: { b: 2, a: 1 }, headers: {}, url: 'http://h/v1/x', method: 'POST' },
      test_id: 'f.ts::t',
    } as unknown as Recording;
    expect(serializeRecording(scrambled)).toBe(
      [
        '{',
        '  "test_id": "f.ts::t",',
        '  "request": {',
        '    "method": "POST",',
        '    "url": "http://h/v1/x",',
        '    "headers": {},',
        '    "body": {',
        '      "b": 2,',
        '      "a": 1',
        '    },',
        '    "endpoint": "/v1/x",',
        '    "model": "m"',
        '  },',
        '  "response": {',
        '    "body": {',
        '      "e": 1',
        '    },',
        '    "is_streaming": false,',
        '    "status": 429,',
        '    "headers": {',
        '      "retry-after": "2"',
        '    }',
        '  },',
        '  "id_normalization_mapping": {',
        '    "rec-1": "chatcmpl-1"',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('orders every response field as llama-stack does and omits undefined ones', () => {
    const text = serializeRecording(
      recording({
        response: {
          exception_message: 'boom',
          exception_data: { type: 'X' },
          is_exception: true,
          headers: undefined,
          status: undefined,
          is_streaming: false,
          body: null,
        },
      }),
    );
    const response = JSON.parse(text).response as Record<string, unknown>;
    expect(Object.keys(response)).toEqual(['body', 'is_streaming', 'is_exception', 'exception_data', 'exception_message']);
    expect(text).not.toContain('"status"');
    expect(text).not.toContain('"headers": undefined');
  });

  it('keeps fields written by other tools, after its own', () => {
    const input = recording();
    (input.request as unknown as Record<string, unknown>).provider_metadata = { openai_sdk_version: '2.5.0' };
    (input.response as unknown as Record<string, unknown>).extra = 1;
    const parsed = JSON.parse(serializeRecording(input));
    expect(Object.keys(parsed.request)).toEqual(['method', 'url', 'headers', 'body', 'endpoint', 'model', 'provider_metadata']);
    expect(Object.keys(parsed.response)).toEqual(['body', 'is_streaming', 'extra']);
  });

  it('writes test_id null and an empty mapping when they are absent', () => {
    const input = recording({ test_id: null });
    delete (input as Partial<Recording>).id_normalization_mapping;
    const text = serializeRecording(input);
    expect(text.startsWith('{\n  "test_id": null,\n  "request": {\n')).toBe(true);
    expect(text.endsWith('\n  },\n  "id_normalization_mapping": {}\n}\n')).toBe(true);
  });

  it('escapes non-ASCII as \\uXXXX exactly like Python json.dump', () => {
    const text = serializeRecording(recording({ response: { body: { t: '100°C, café, 😀, \u2028, ß' }, is_streaming: false } }));
    // Python: json.dumps("100°C, café, 😀, \u2028, ß") == '"100\\u00b0C, caf\\u00e9, \\ud83d\\ude00, \\u2028, \\u00df"'
    expect(text).toContain('"t": "100\\u00b0C, caf\\u00e9, \\ud83d\\ude00, \\u2028, \\u00df"');
    expect(/[^\x00-\x7f]/.test(text)).toBe(false);
  });

  it('escapes non-ASCII in keys too', () => {
    const text = serializeRecording(recording({ response: { body: { 'clé': 1 }, is_streaming: false } }));
    expect(text).toContain('"cl\\u00e9": 1');
  });

  it('escapes control characters like Python, DEL (0x7f) included', () => {
    // Python: json.dumps("a\x01b\x7fc\n") == '"a\\u0001b\\u007fc\\n"' (it escapes everything outside 0x20-0x7e).
    const text = serializeRecording(recording({ response: { body: 'a\u0001b\u007fc\n', is_streaming: false } }));
    expect(text).toContain('"body": "a\\u0001b\\u007fc\\n"');
  });

  it('writes a stream given as LazyChunks exactly as the same chunks given as a list, making them once', () => {
    const chunks = [{ a: 1 }, { b: 'ü' }, { c: [1, 2] }];
    let made = 0;
    const lazy = new LazyChunks(() => {
      made++;
      return chunks.values();
    });
    const asList = serializeRecording(recording({ response: { body: chunks, is_streaming: true } }));
    expect(serializeRecording(recording({ response: { body: lazy, is_streaming: true } }))).toBe(asList);
    expect(made).toBe(1);
    expect(parseRecording(asList, 'x.json').response.body).toEqual(chunks);
  });

  it('writes empty LazyChunks as an empty list', () => {
    const empty = new LazyChunks(() => [][Symbol.iterator]());
    expect(serializeRecording(recording({ response: { body: empty, is_streaming: true } }))).toBe(serializeRecording(recording({ response: { body: [], is_streaming: true } })));
  });

  it('is stable: serialize → parse → serialize gives the same bytes', () => {
    const once = serializeRecording(recording({ response: { body: { t: 'ü 😀', n: [1, 2.5, -0.001] }, is_streaming: false } }));
    expect(serializeRecording(parseRecording(once, 'x.json'))).toBe(once);
  });
});

/**
 * The llama-stack samples, through parseRecording and serializeRecording. Most come back byte for
 * byte; the others differ for reasons listed here, one by one, and asserted below.
 */
const IDENTICAL = ['705150ea3577', 'models-66c15', '12ea4e4a2705', '2367bed24bc3', '4a1ce541c393', '539aaa4c7b31', 'b1cfdb143892', 'f1eb2a50effe'];
interface Difference {
  /** Older llama-stack files have no top-level `test_id`; we always write it (null). */
  addsTestId?: boolean;
  /** Older llama-stack files have no `id_normalization_mapping`; we always write it ({}). */
  addsMapping?: boolean;
  /** Python writes floats its own way (`1e-05`, `0.0`); JavaScript writes `0.00001`, `0`. The exact rewrites: */
  pythonFloats?: string[];
}
const DIFFERENT: Record<string, Difference> = {
  '28b74a89cdc8': { addsMapping: true },
  '3dec1b35f0f0': { addsMapping: true },
  '632ce0140a65': { addsTestId: true, addsMapping: true },
  '44a892380e52': {
    addsMapping: true,
    pythonFloats: ['-6.2016305e-05', '9.87667e-06', '9.621459e-05', '-3.9608767e-05', '7.6052915e-05', '9.595938e-05'],
  },
  '70bc90399eac': {
    addsMapping: true,
    pythonFloats: ['7.93392e-05', '5.9351194e-05', '4.9875744e-05', '7.1949767e-06', '-7.179656e-05', '-4.3134503e-05', '-7.2267976e-05'],
  },
  '1f6d321493b7': { pythonFloats: ['0.0'] },
};
/**
 * llama-stack's raw HTTP recordings (Anthropic's `/v1/messages`, Google's `/interactions`): a different
 * request shape (`url`, `method`, `payload`), rewritten into ours.
 */
const RAW_HTTP_SHAPE = ['93eb42f3bd69', 'cf0be7f9e2eb', '1151b20ef79f', '2cb6caa89a82'];

/** Numbers on their own (a value or an array item), as both serializers lay them out with an indent. */
const NUMBER_TOKEN = /^(\s*(?:"(?:[^"\\]|\\.)*": )?)(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(,?)$/gm;

/** The sample text as we expect our serializer to write it, and the float tokens that change. */
function expectedText(text: string, difference: Difference): { text: string; rewritten: string[] } {
  const rewritten: string[] = [];
  let out = text.replace(NUMBER_TOKEN, (_match, before: string, number: string, comma: string) => {
    const js = String(Number(number));
    if (js !== number) rewritten.push(number);
    return `${before}${js}${comma}`;
  });
  if (difference.addsTestId) out = out.replace(/^\{\n/, '{\n  "test_id": null,\n');
  if (difference.addsMapping) out = out.replace(/\n\}\n$/, ',\n  "id_normalization_mapping": {}\n}\n');
  return { text: out, rewritten };
}

describe('llama-stack samples', () => {
  it('the tables below cover every sample file exactly once', () => {
    const covered = [...IDENTICAL, ...Object.keys(DIFFERENT), ...RAW_HTTP_SHAPE].sort();
    expect(covered).toEqual([...samples.keys()].sort());
    // The two model-list files share a 12-character prefix; they must both be there.
    expect(sampleFiles(SAMPLE_ROOT)).toHaveLength(19);
  });

  const allFiles = sampleFiles(SAMPLE_ROOT);

  it.each(allFiles.filter((file) => IDENTICAL.includes(path.basename(file).slice(0, 12))).map((file) => [path.basename(file), file]))(
    '%s is reproduced byte for byte',
    (_name, file) => {
      const text = fs.readFileSync(file, 'utf8');
      expect(serializeRecording(parseRecording(text, file))).toBe(text);
    },
  );

  it.each(Object.entries(DIFFERENT))('%s differs only as listed', (prefix, difference) => {
    const { file, text } = sample(prefix);
    const ours = serializeRecording(parseRecording(text, file));
    expect(ours).not.toBe(text);
    const expected = expectedText(text, difference);
    expect(expected.rewritten).toEqual(difference.pythonFloats ?? []);
    expect(ours).toBe(expected.text);
  });

  it.each(RAW_HTTP_SHAPE)('%s: the response is kept (byte for byte without a status) and the request is rewritten into our shape', (prefix) => {
    const { file, text } = sample(prefix);
    const original = JSON.parse(text);
    const ours = serializeRecording(parseRecording(text, file));
    const marker = '\n  "response": {\n';
    // A status comes after the body in our files, first in llama-stack's.
    if (original.response.status === undefined) expect(ours.slice(ours.indexOf(marker))).toBe(text.slice(text.indexOf(marker)));
    expect(JSON.parse(ours).response).toEqual(original.response);
    const request = JSON.parse(ours).request;
    expect(request).toMatchObject({
      method: 'POST',
      url: original.request.url,
      headers: {},
      body: original.request.payload,
      endpoint: new URL(original.request.url).pathname,
    });
    expect(Object.keys(request).slice(0, 6)).toEqual(['method', 'url', 'headers', 'body', 'endpoint', 'model']);
    expect(JSON.parse(ours).test_id).toBe(original.test_id);
  });

  it.each(allFiles.map((file) => [path.basename(file), file]))('%s: our own output is a fixed point', (_name, file) => {
    const once = serializeRecording(parseRecording(fs.readFileSync(file, 'utf8'), file));
    expect(serializeRecording(parseRecording(once, file))).toBe(once);
  });

  it('every sample serializes to ASCII only', () => {
    for (const file of allFiles) {
      expect(/[^\x00-\x7f]/.test(serializeRecording(parseRecording(fs.readFileSync(file, 'utf8'), file)))).toBe(false);
    }
  });
});

describe('parseRecording', () => {
  const FILE = '/recordings/tests/a.test.ts/t-1234abcd/0123456789abcdef.json';
  const valid = () => JSON.parse(serializeRecording(recording()));

  it('reads what serializeRecording writes', () => {
    expect(parseRecording(serializeRecording(recording()), FILE)).toEqual(recording());
  });

  it('fills llama-stack defaults: POST, endpoint from the URL, test_id null, empty mapping', () => {
    const parsed = parseRecording(
      JSON.stringify({ request: { url: 'http://0.0.0.0:11434/v1/v1/completions', body: { a: 1 } }, response: { body: null } }),
      FILE,
    );
    expect(parsed).toEqual({
      test_id: null,
      request: { method: 'POST', url: 'http://0.0.0.0:11434/v1/v1/completions', headers: {}, body: { a: 1 }, endpoint: '/v1/v1/completions', model: '' },
      response: { body: null, is_streaming: false },
      id_normalization_mapping: {},
    });
  });

  it('reads the body of llama-stack `payload` requests', () => {
    const parsed = parseRecording(JSON.stringify({ request: { url: 'http://h/v1/messages', method: 'POST', payload: { p: 1 } }, response: { body: [] , is_streaming: true } }), FILE);
    expect(parsed.request.body).toEqual({ p: 1 });
  });

  it('keeps request fields written by other tools (llama-stack provider_metadata)', () => {
    const data = valid();
    data.request.provider_metadata = { openai_sdk_version: '2.5.0' };
    const parsed = parseRecording(JSON.stringify(data), FILE) as unknown as { request: Record<string, unknown> };
    expect(parsed.request.provider_metadata).toEqual({ openai_sdk_version: '2.5.0' });
  });

  it('keeps response fields it does not know', () => {
    const data = valid();
    data.response.provider_note = 'x';
    expect((parseRecording(JSON.stringify(data), FILE).response as unknown as Record<string, unknown>).provider_note).toBe('x');
  });

  it('names the file for truncated JSON', () => {
    const text = serializeRecording(recording());
    const error = errorOf(() => parseRecording(text.slice(0, text.length / 2), FILE));
    expect(error).toBeInstanceOf(RecordingFileError);
    expect(error.file).toBe(FILE);
    expect(error.message).toContain(`cannot use recording ${FILE}: invalid JSON`);
    expect(error.message).toContain('truncated');
  });

  it.each([
    ['a top-level array', () => [], 'expected a JSON object at the top level'],
    ['a missing request', (d: Record<string, unknown>) => ({ ...d, request: undefined }), 'missing "request" object'],
    ['a request that is a string', (d: Record<string, unknown>) => ({ ...d, request: 'POST /v1' }), 'missing "request" object'],
    ['a missing response', (d: Record<string, unknown>) => ({ ...d, response: undefined }), 'missing "response" object'],
    ['a missing url', (d: any) => ({ ...d, request: { ...d.request, url: undefined } }), '"request.url" must be a string'],
    ['a numeric method', (d: any) => ({ ...d, request: { ...d.request, method: 1 } }), '"request.method" must be a string'],
    ['a missing response.body', (d: any) => ({ ...d, response: { is_streaming: false } }), 'missing "response.body"'],
    ['a string is_streaming', (d: any) => ({ ...d, response: { ...d.response, is_streaming: 'yes' } }), '"response.is_streaming" must be true or false'],
    ['a fractional status', (d: any) => ({ ...d, response: { ...d.response, status: 200.5 } }), '"response.status" must be an integer'],
    ['a non-list streaming body', (d: any) => ({ ...d, response: { body: { a: 1 }, is_streaming: true } }), 'a streaming response must have a list of chunks'],
    ['a string streaming body', (d: any) => ({ ...d, response: { body: 'data: x', is_streaming: true } }), 'a streaming response must have a list of chunks'],
    ['a numeric test_id', (d: any) => ({ ...d, test_id: 7 }), '"test_id" must be a string or null'],
    ['a list mapping', (d: any) => ({ ...d, id_normalization_mapping: [] }), '"id_normalization_mapping" must be an object'],
    [
      'a mapping to an empty id',
      (d: any) => ({ ...d, id_normalization_mapping: { X: '' } }),
      '"id_normalization_mapping" must map each normalized id to the non-empty id it replaces, got "X": ""',
    ],
    [
      'a mapping to a number',
      (d: any) => ({ ...d, id_normalization_mapping: { X: 5 } }),
      '"id_normalization_mapping" must map each normalized id to the non-empty id it replaces, got "X": 5',
    ],
    [
      'a mapping from an empty id',
      (d: any) => ({ ...d, id_normalization_mapping: { '': 'resp_1' } }),
      '"id_normalization_mapping" must map each normalized id to the non-empty id it replaces, got "": "resp_1"',
    ],
  ])('names the file for %s', (_what, mutate: (d: any) => unknown, problem) => {
    const error = errorOf(() => parseRecording(JSON.stringify(mutate(valid())), FILE));
    expect(error).toBeInstanceOf(RecordingFileError);
    expect(error.file).toBe(FILE);
    expect(error.message).toContain(`jest-replay: cannot use recording ${FILE}: `);
    expect(error.message).toContain(problem);
  });

  it('accepts a streaming exception without a list body (llama-stack writes body null)', () => {
    const text = JSON.stringify({ request: { url: 'http://h/x' }, response: { body: null, is_streaming: true, is_exception: true } });
    expect(parseRecording(text, FILE).response.is_streaming).toBe(true);
  });
});

describe('applyIdNormalization', () => {
  it('replaces every original id with its normalized id and empties the mapping', () => {
    const input = recording({
      request: { ...recording().request, body: { previous_response_id: 'resp_ORIGINAL', note: 'see resp_ORIGINAL' } },
      response: { body: { id: 'resp_ORIGINAL', items: [{ call: 'call_ABC' }] }, is_streaming: false },
      id_normalization_mapping: { 'rec-000000000001': 'resp_ORIGINAL', 'rec-000000000002': 'call_ABC' },
    });
    const out = applyIdNormalization(input);
    expect(out.request.body).toEqual({ previous_response_id: 'rec-000000000001', note: 'see rec-000000000001' });
    expect(out.response.body).toEqual({ id: 'rec-000000000001', items: [{ call: 'rec-000000000002' }] });
    expect(out.id_normalization_mapping).toEqual({});
    expect(JSON.stringify(out)).not.toMatch(/resp_ORIGINAL|call_ABC/);
    // The input is left alone.
    expect(input.id_normalization_mapping).toEqual({ 'rec-000000000001': 'resp_ORIGINAL', 'rec-000000000002': 'call_ABC' });
  });

  it('replaces ids inside strings only, so no id can break the recording apart', () => {
    const input = recording({
      request: { ...recording().request, body: { quote: 'say "n"\n' } },
      response: { body: { id: 'n' }, is_streaming: false },
      id_normalization_mapping: { 'rec-1': 'n', 'rec-2': '"' },
    });
    const out = applyIdNormalization(input);
    expect(out.request.body).toEqual({ quote: 'say rec-2rec-1rec-2\n' });
    expect(out.response).toEqual({ body: { id: 'rec-1' }, is_streaming: false });
  });

  it('returns the recording unchanged when the mapping is empty', () => {
    const input = recording();
    expect(applyIdNormalization(input)).toBe(input);
  });
});

describe('typed values', () => {
  it('isTypedValue and unwrap', () => {
    const typed = { __type__: 'openai.types.model.Model', __data__: { id: 'm' } };
    expect(isTypedValue(typed)).toBe(true);
    expect(isTypedValue({ __type__: 'x' })).toBe(false);
    expect(isTypedValue(null)).toBe(false);
    expect(unwrap(typed)).toEqual({ id: 'm' });
    expect(unwrap({ id: 'm' })).toEqual({ id: 'm' });
  });
});

describe('applyIdNormalization of many ids', () => {
  it('replaces them all in one pass over each string; the mapping itself is not rewritten', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `call_${i}`);
    const input = recording({
      response: { body: { calls: ids, text: ids.join(' ') }, is_streaming: false },
      id_normalization_mapping: Object.fromEntries(ids.map((id, i) => [`rec-${i}`, id])),
    });
    const out = applyIdNormalization(input);
    const normalized = ids.map((_, i) => `rec-${i}`);
    expect(out.response.body).toEqual({ calls: normalized, text: normalized.join(' ') });
    expect(out.id_normalization_mapping).toEqual({});
  });

  it('an id listed twice keeps its first normalized form', () => {
    const input = recording({
      response: { body: { id: 'resp_1' }, is_streaming: false },
      id_normalization_mapping: { 'rec-a': 'resp_1', 'rec-b': 'resp_1' },
    });
    expect(applyIdNormalization(input).response.body).toEqual({ id: 'rec-a' });
  });
});
