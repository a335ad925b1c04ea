import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordingSources } from '../../src/core/inspect/import';
import {
  httpRequestHash,
  inferenceRequestHash,
  llamaStackFolder,
  normalizeBodyForHash,
  pythonUrlParts,
} from '../../src/core/recording/llama-stack-hash';
import { parsePython, PyFloat, type PyObject } from '../../src/core/util/python-json';

const SAMPLE = path.join(__dirname, '..', 'fixtures', 'llama-stack-sample');
const KINDS = path.join(__dirname, '..', 'fixtures', 'llama-stack-kinds');

/** llama-stack's hash of a recording, from what its file holds: the request it recorded and its test id. */
function hashOfFile(text: string): string {
  const data = parsePython(text) as { [key: string]: PyObject };
  const request = data.request;
  const testId = (data.test_id ?? null) as unknown as string | null;
  if ('payload' in request) return httpRequestHash(String(request.url), request.payload, testId);
  return inferenceRequestHash(String(request.url), request.body ?? {}, testId);
}

describe("llama-stack's file names, recomputed from each real file's content", () => {
  const files = recordingSources([SAMPLE]);
  const named = (file: string) =>
    path
      .basename(file)
      .replace(/^models-/, '')
      .slice(0, 64);
  // An older file that does not store the test id its hash was computed with.
  const withoutTestId = '632ce0140a65d71196900f356f4790795b4504dd4bf4a31c9e3d2733f0faf2db.json';

  test.each(files.filter((f) => path.basename(f) !== withoutTestId).map((f) => [path.relative(SAMPLE, f), f]))('%s', (_, file) => {
    expect(hashOfFile(fs.readFileSync(file, 'utf8'))).toBe(named(file));
  });

  test('a file that lost its test id cannot be matched to its name', () => {
    const file = files.find((f) => path.basename(f) === withoutTestId)!;
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).test_id).toBeUndefined();
    expect(hashOfFile(fs.readFileSync(file, 'utf8'))).not.toBe(named(file));
  });

  test.each(recordingSources([KINDS]).map((f) => [path.relative(KINDS, f), f]))('the per-kind fixture %s', (_, file) => {
    expect(hashOfFile(fs.readFileSync(file, 'utf8'))).toBe(path.basename(file, '.json'));
  });
});

describe('the request hash', () => {
  const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

  test('an int and a float of the same value hash differently, as json.dumps writes them differently', () => {
    const url = 'http://0.0.0.0:11434/v1/v1/chat/completions';
    expect(inferenceRequestHash(url, { ...chat, temperature: 0 }, 't.py::a')).not.toBe(
      inferenceRequestHash(url, { ...chat, temperature: new PyFloat(0) }, 't.py::a'),
    );
    // floats compare at 5 decimals
    const rounded = (x: number) => inferenceRequestHash(url, { ...chat, temperature: new PyFloat(x) }, 't.py::a');
    expect(rounded(0.7000001)).toBe(rounded(0.7));
  });

  test("the URL's path is keyed, not its host; model lists at exactly /v1/models are keyed without the test id", () => {
    expect(inferenceRequestHash('http://a/v1/v1/models', {}, 't.py::a')).toBe(
      inferenceRequestHash('https://b:1/v1/v1/models', {}, 't.py::a'),
    );
    expect(inferenceRequestHash('http://a/v1/v1/models', {}, 't.py::a')).not.toBe(
      inferenceRequestHash('http://a/v1/v1/models', {}, 't.py::b'),
    );
    expect(inferenceRequestHash('http://a/v1/models', {}, 't.py::a')).toBe(inferenceRequestHash('http://a/v1/models', {}, null));
  });

  test('a raw HTTP request is keyed by its whole URL', () => {
    expect(httpRequestHash('http://a:1/v1/messages', chat, null)).not.toBe(httpRequestHash('http://a:2/v1/messages', chat, null));
  });

  test("normalization: Bedrock's stream_options and extra_body's project_id at the top only, file-search noise, long decimals", () => {
    const body = parsePython(
      '{"stream_options": {"include_usage": true}, "extra_body": {"project_id": "p", "x": 1}, ' +
        '"nested": {"stream_options": 1, "extra_body": {"project_id": "q"}}, ' +
        '"q": "score: 0.123 document_id: 12345678-1234-1234-1234-123456789abc <|12345678-1234-1234-1234-123456789abc|> ok, attributes: {a: 1} 0.015625"}',
    );
    expect(normalizeBodyForHash(body, true)).toEqual({
      extra_body: { x: 1 },
      nested: { stream_options: 1, extra_body: { project_id: 'q' } },
      q: 'score: __NORMALIZED__ document_id: __NORMALIZED__ <|__NORMALIZED__|> ok 0.01562',
    });
    expect(inferenceRequestHash('https://bedrock-runtime.x/v1/v1/chat/completions', { ...chat, stream_options: { a: 1 } }, null)).toBe(
      inferenceRequestHash('https://bedrock-runtime.x/v1/v1/chat/completions', chat, null),
    );
  });

  test('urlparse: path without query, fragment or the last segment ;params; a URL without scheme is all path', () => {
    expect(pythonUrlParts('http://h:1/a/b;p?q=1#f')).toEqual({ netloc: 'h:1', path: '/a/b' });
    expect(pythonUrlParts('__databricks__/serving-endpoints/v1/chat/completions').path).toBe(
      '__databricks__/serving-endpoints/v1/chat/completions',
    );
  });
});

test("the folder llama-stack reads: recordings/ beside the test file, the storage dir's without a test; never outside the root", () => {
  expect(llamaStackFolder('tests/integration/inference/test_x.py::test_a[p]', 'tests/integration/common')).toBe(
    'tests/integration/inference/recordings',
  );
  expect(llamaStackFolder('test_x.py::t', 'common')).toBe('recordings');
  expect(llamaStackFolder(null, 'tests/integration/common')).toBe('tests/integration/common/recordings');
  expect(llamaStackFolder('../../etc/x.py::t', 'c')).toBeUndefined();
  expect(llamaStackFolder('/etc/x.py::t', 'c')).toBeUndefined();
});
