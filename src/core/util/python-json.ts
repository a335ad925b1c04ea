import { parse, stringify } from 'lossless-json';
import { escapeNonAscii } from './json';

/**
 * JSON as Python holds it, for files and hashes llama-stack's Python code must agree with: `0.0` is a
 * float and `0` an int to `json.dumps`, which JavaScript's numbers cannot tell apart.
 */

/** A number Python holds as a float. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Python's value of a JSON document: ints as numbers (bigints beyond 2^53), floats as `PyFloat`. */
export type PyJson = null | boolean | string | number | bigint | PyFloat | PyJson[] | PyObject;
export type PyObject = { [key: string]: PyJson };

export const isPyObject = (value: PyJson | undefined): value is PyObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof PyFloat);

/** JSON text as `json.loads` reads it: a number written with a fraction or an exponent is a float. */
export function parsePython(text: string): PyJson {
  const number = (literal: string): PyJson => {
    if (/[.eE]/.test(literal)) return new PyFloat(Number(literal));
    return Number.isSafeInteger(Number(literal)) ? Number(literal) : BigInt(literal);
  };
  return parse(text, undefined, number) as PyJson;
}

/** `repr(float)`: shortest round-trip digits, `.0` on integral values, an exponent below 1e-4 or from 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = x.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  const fixed = x.toFixed(Math.max(0, (mantissa.split('.')[1]?.length ?? 0) - exponent));
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

/**
 * `x` at 5 decimals as Python rounds it (`round(x, 5)`, `f"{x:.5f}"`): to the nearest, and an exact
 * tie to the even digit, where `toFixed` rounds away from zero. Only odd multiples of 1/64 are exact
 * ties at 5 decimals.
 */
export function pythonFixed5(x: number): string {
  const scaled = Math.abs(x) * 64;
  if (!Number.isInteger(scaled) || scaled % 2 === 0) return x.toFixed(5);
  const low = Math.floor(Math.abs(x) * 1e5);
  const even = low % 2 === 0 ? low : low + 1;
  return `${x < 0 ? '-' : ''}${(even / 1e5).toFixed(5)}`;
}

/** `round(x, 5)` on a float. */
export const pythonRound5 = (x: number): number => (Number.isFinite(x) && Math.abs(x) < 1e21 ? Number(pythonFixed5(x)) : x);

/** Keys in Python's order: by code point (JavaScript's sort compares UTF-16 units). */
const byCodePoint = (a: string, b: string) => {
  const [x, y] = [[...a], [...b]];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i].codePointAt(0)! - y[i].codePointAt(0)!;
  }
  return x.length - y.length;
};

const asciiString = (text: string) => escapeNonAscii(JSON.stringify(text));

/** `json.dumps(value, sort_keys=True)`: default separators, ASCII escapes. */
export function pythonDumps(value: PyJson): string {
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  if (value === null) return 'null';
  if (typeof value === 'string') return asciiString(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonDumps).join(', ')}]`;
  return `{${Object.keys(value).sort(byCodePoint).map((k) => `${asciiString(k)}: ${pythonDumps(value[k])}`).join(', ')}}`;
}

/** `json.dump(value, f, indent=2)` then a newline, as llama-stack writes its files. */
export function pythonFileText(value: PyJson): string {
  const floats = { test: (v: unknown) => v instanceof PyFloat, stringify: (v: unknown) => pythonFloatRepr((v as PyFloat).value) };
  return `${escapeNonAscii(stringify(value, undefined, 2, [floats]) ?? 'null')}\n`;
}

/** Characters `str.isprintable()` refuses, which `repr` escapes: controls, format, separators but the space, unassigned. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;
const NAMED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (NAMED[char]) out += NAMED[char];
    else if (char === quote) out += `\\${char}`;
    else if (!UNPRINTABLE.test(char)) out += char;
    else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${quote}${out}${quote}`;
}

/** `repr(value)` of what `json.loads` returns. */
export function pythonRepr(value: PyJson): string {
  if (value instanceof PyFloat) return pythonFloatRepr(value.value).replace(/^(-?)(Infinity)$/, '$1inf').replace('NaN', 'nan');
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return reprString(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${reprString(k)}: ${pythonRepr(v)}`).join(', ')}}`;
}

/** `str(value)`: a string as it is, anything else as its `repr`. */
export const pythonStr = (value: PyJson): string => (typeof value === 'string' ? value : pythonRepr(value));

/** `value` with `replace` applied to every string in it (object keys stay as they are). */
export function mapPythonStrings(value: PyJson, replace: (text: string) => string): PyJson {
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((item) => mapPythonStrings(item, replace));
  if (!isPyObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapPythonStrings(item, replace)]));
}
