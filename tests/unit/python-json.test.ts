import {
  mapPythonStrings,
  parsePython,
  PyFloat,
  pythonDumps,
  pythonFileText,
  pythonFixed5,
  pythonFloatRepr,
  pythonRepr,
  pythonRound5,
  pythonStr,
} from '../../src/core/util/python-json';

describe("Python's float spelling", () => {
  test.each([
    [0, '0.0'],
    [-0, '-0.0'],
    [1, '1.0'],
    [-2, '-2.0'],
    [0.7, '0.7'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-6.2016305e-5, '-6.2016305e-05'],
    [1.5e16, '1.5e+16'],
    [1e16, '1e+16'],
    [123456.789, '123456.789'],
    [0.1 + 0.2, '0.30000000000000004'],
  ])('repr(%p) is %s', (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });
});

describe("Python's rounding at 5 decimals: to the nearest, an exact tie to the even digit", () => {
  test.each([
    [0.123456789, '0.12346'],
    [0.015625, '0.01562'], // 1/64: an exact tie, toFixed gives 0.01563
    [0.046875, '0.04688'], // 3/64
    [-0.015625, '-0.01562'],
    [2.5e-6, '0.00000'], // not an exact tie in binary: below half
    [1, '1.00000'],
  ])('%p → %s', (value, expected) => {
    expect(pythonFixed5(value)).toBe(expected);
  });

  test('round(x, 5) keeps huge and non-finite values', () => {
    expect(pythonRound5(1e300)).toBe(1e300);
    expect(pythonRound5(0.333333333)).toBe(0.33333);
  });
});

describe('JSON as json.loads reads it', () => {
  test('a number with a fraction or exponent is a float, an integer beyond 2^53 keeps every digit', () => {
    const value = parsePython('{"a": 1, "b": 1.0, "c": 1e-05, "d": 123456789012345678901, "e": [2.50]}') as Record<string, unknown>;
    expect(value.a).toBe(1);
    expect(value.b).toEqual(new PyFloat(1));
    expect(value.c).toEqual(new PyFloat(0.00001));
    expect(value.d).toBe(123456789012345678901n);
    expect(value.e).toEqual([new PyFloat(2.5)]);
  });

  test('broken JSON is refused with its position', () => {
    expect(() => parsePython('{"a": 1,')).toThrow(/position/);
  });
});

test('json.dumps(sort_keys=True): separators, keys by code point, ASCII escapes, floats kept floats', () => {
  const value = parsePython(
    '{"b": [1, 1.0, 2.50, 123456789012345678901], "a": "\\u00b0C\\u007f\\ud83d\\ude00", ' +
      '"c": {"z": null, "y": true}, "\\ud83d\\ude00": 1, "\\uffff": 2}',
  );
  const dumped =
    '{"a": "\\u00b0C\\u007f\\ud83d\\ude00", "b": [1, 1.0, 2.5, 123456789012345678901], ' +
    '"c": {"y": true, "z": null}, "\\uffff": 2, "\\ud83d\\ude00": 1}';
  expect(pythonDumps(value)).toBe(dumped);
});

test('json.dump(indent=2): the file text llama-stack writes', () => {
  const value = { a: [], b: {}, c: [new PyFloat(0), 1, 'é'], d: 123456789012345678901n };
  expect(pythonFileText(value)).toBe(
    '{\n  "a": [],\n  "b": {},\n  "c": [\n    0.0,\n    1,\n    "\\u00e9"\n  ],\n  "d": 123456789012345678901\n}\n',
  );
});

describe("repr and str of what json.loads returns, as the openai SDK's error messages quote a body", () => {
  test.each([
    [
      { error: { message: 'bad', param: null, code: 400, ok: true, x: new PyFloat(0.5) } },
      "{'error': {'message': 'bad', 'param': None, 'code': 400, 'ok': True, 'x': 0.5}}",
    ],
    ["it's", '"it\'s"'],
    ['say "hi" it\'s', "'say \"hi\" it\\'s'"],
    ['a\\b\n\t\u0001\u00e9\u200b\u{1f600}', "'a\\\\b\\n\\t\\x01é\\u200b😀'"],
    [[1, new PyFloat(1), null], '[1, 1.0, None]'],
  ])('repr(%j)', (value, expected) => {
    expect(pythonRepr(value as never)).toBe(expected);
  });

  test('str() of a string is the string itself', () => {
    expect(pythonStr('plain text')).toBe('plain text');
    expect(pythonStr({ a: 'b' })).toBe("{'a': 'b'}");
  });
});

test('mapPythonStrings replaces inside strings only, keeping floats and big integers', () => {
  const value = parsePython('{"id": "x-1", "n": [1.0, "x-1 again", 123456789012345678901]}');
  expect(mapPythonStrings(value, (text) => text.replace('x-1', 'rec'))).toEqual({
    id: 'rec',
    n: [new PyFloat(1), 'rec again', 123456789012345678901n],
  });
});
