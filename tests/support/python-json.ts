import { sha256 } from '../../src/core/util/hash';

/**
 * Just enough of Python's `json` to reproduce llama-stack's request hash from a recording file:
 * a parser that keeps floats as floats (`0.0` is not `0` in Python), and `json.dumps(…,
 * sort_keys=True)` with its default separators and `ensure_ascii`.
 */

/** A number that was written as a float (`1.0`, `1e-05`): Python prints it as a float again. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyJson = null | boolean | string | number | PyFloat | PyJson[] | { [key: string]: PyJson };

export function parsePythonJson(text: string): PyJson {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const space = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const value = (): PyJson => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: { [key: string]: PyJson } = {};
      space();
      if (text[i] === '}') return i++, out;
      for (;;) {
        space();
        const key = value();
        if (typeof key !== 'string') fail('expected a string key');
        space();
        if (text[i++] !== ':') fail('expected ":"');
        out[key as string] = value();
        space();
        if (text[i] === ',') i++;
        else if (text[i++] === '}') return out;
        else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const out: PyJson[] = [];
      space();
      if (text[i] === ']') return i++, out;
      for (;;) {
        out.push(value());
        space();
        if (text[i] === ',') i++;
        else if (text[i++] === ']') return out;
        else fail('expected "," or "]"');
      }
    }
    if (c === '"') {
      const match = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i));
      if (!match) fail('unterminated string');
      i += match![0].length;
      return JSON.parse(match![0]) as string;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!literal) fail('unexpected character');
    i += literal![0].length;
    const lexeme = literal![0];
    if (lexeme === 'true' || lexeme === 'false' || lexeme === 'null') return JSON.parse(lexeme) as PyJson;
    return /[.eE]/.test(lexeme) ? new PyFloat(Number(lexeme)) : Number(lexeme);
  };
  const result = value();
  space();
  if (i !== text.length) fail('trailing characters');
  return result;
}

/** `repr(float)`: shortest round-trip digits, `.0` on integral values, exponent below 1e-4 or from 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = x.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, (mantissa.split('.')[1]?.length ?? 0) - exponent));
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

const escapeAscii = (text: string) =>
  JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** `json.dumps(value, sort_keys=True)`. */
export function pythonDumps(value: PyJson): string {
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  if (value === null) return 'null';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return escapeAscii(value);
  if (Array.isArray(value)) return `[${value.map(pythonDumps).join(', ')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${escapeAscii(k)}: ${pythonDumps(value[k])}`).join(', ')}}`;
}

/** Python's `round(x, 5)` on a float, kept a float. */
const round5 = (x: number) => Number(x.toFixed(5));

/** llama-stack's `_normalize_body_for_hash`. */
function normalizeBody(value: PyJson): PyJson {
  if (value instanceof PyFloat) return new PyFloat(round5(value.value));
  if (typeof value === 'string') return value.replace(/-?\d+\.\d{4,}/g, (m) => Number(m).toFixed(5));
  if (Array.isArray(value)) return value.map(normalizeBody);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeBody(v)]));
  return value;
}

const LLAMA_STACK_SHARED = ['/api/tags', '/v1/models', '/v1/openai/v1/models'];

/**
 * The hash llama-stack names a recording file after, computed from the file's own content
 * (`normalize_inference_request`): the recorded method, URL path, body and test id. It cannot be
 * computed from a TypeScript request: llama-stack hashes the URL path it recorded (`/v1/v1/…`)
 * and Python's float spelling (`0.0`), which a request sent from JavaScript does not carry.
 */
export function llamaStackHash(fileText: string): string {
  const data = parsePythonJson(fileText) as { [key: string]: PyJson };
  const request = data.request as { [key: string]: PyJson };
  if ('payload' in request) {
    // Raw HTTP passthrough (`normalize_http_request`): the whole URL, and the payload.
    const test_id = (data.test_id ?? null) as PyJson;
    return sha256(pythonDumps({ test_id, url: request.url, method: String(request.method).toUpperCase(), payload: normalizeBody(request.payload) }));
  }
  const url = new URL(String(request.url));
  const bedrock = url.host.includes('bedrock');
  const body = normalizeBody((request.body ?? {}) as PyJson) as { [key: string]: PyJson };
  if (bedrock && body && typeof body === 'object' && !Array.isArray(body)) delete body.stream_options;
  const normalized: { [key: string]: PyJson } = { method: String(request.method).toUpperCase(), endpoint: url.pathname, body };
  if (!LLAMA_STACK_SHARED.includes(url.pathname)) normalized.test_id = (data.test_id ?? null) as PyJson;
  return sha256(pythonDumps(normalized));
}
