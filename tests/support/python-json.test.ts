import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordingSources } from '../../src/core/inspect/import';
import { llamaStackHash, parsePythonJson, PyFloat, pythonDumps, pythonFloatRepr } from './python-json';

const SAMPLE = path.join(__dirname, '..', 'fixtures', 'llama-stack-sample');
const KINDS = path.join(__dirname, '..', 'fixtures', 'llama-stack-kinds');

describe("Python's float spelling", () => {
  test.each([
    [0, '0.0'],
    [1, '1.0'],
    [-2, '-2.0'],
    [0.7, '0.7'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-6.2016305e-5, '-6.2016305e-05'],
    [1.5e16, '1.5e+16'],
    [1e16, '1e+16'],
    [123456.789, '123456.789'],
  ])('repr(%p) is %s', (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });
});

test('json.dumps(sort_keys=True): separators, ASCII escapes, floats kept floats', () => {
  const value = parsePythonJson('{"b": [1, 1.0, 2.50], "a": "\\u00b0C\\u007f", "c": {"z": null, "y": true}}');
  expect(pythonDumps(value)).toBe('{"a": "\\u00b0C\\u007f", "b": [1, 1.0, 2.5], "c": {"y": true, "z": null}}');
  expect((value as { b: unknown[] }).b[1]).toBeInstanceOf(PyFloat);
});

test('parsePythonJson rejects broken JSON with a position', () => {
  expect(() => parsePythonJson('{"a": 1,')).toThrow(/position/);
  expect(() => parsePythonJson('[1] x')).toThrow('trailing characters');
});

describe("llama-stack's file names, recomputed from each sample file's content", () => {
  const files = recordingSources([SAMPLE]);
  const named = (file: string) => path.basename(file).replace(/^models-/, '').slice(0, 64);
  // An older file that does not store the test id its hash was computed with.
  const withoutTestId = '632ce0140a65d71196900f356f4790795b4504dd4bf4a31c9e3d2733f0faf2db.json';

  test.each(files.filter((f) => path.basename(f) !== withoutTestId).map((f) => [path.basename(f), f]))('%s', (_, file) => {
    expect(llamaStackHash(fs.readFileSync(file, 'utf8'))).toBe(named(file));
  });

  test('a file that lost its test id cannot be matched to its name', () => {
    const file = files.find((f) => path.basename(f) === withoutTestId)!;
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).test_id).toBeUndefined();
    expect(llamaStackHash(fs.readFileSync(file, 'utf8'))).not.toBe(named(file));
  });
});

test.each(recordingSources([KINDS]).map((f) => [path.relative(KINDS, f), f]))('the per-kind fixture %s is named by llama-stack\'s hash', (_, file) => {
  expect(llamaStackHash(fs.readFileSync(file, 'utf8'))).toBe(path.basename(file, '.json'));
});
