/** Facts about plain JSON values, shared by every module that walks one. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `text` parsed, or undefined when it is not JSON (`{ value }`, so that JSON's `null` is told apart). */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** A JSON object: not null, not an array. */
export function isObject(value: Json): value is { [key: string]: Json };
export function isObject(value: unknown): value is Record<string, unknown>;
export function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The path of a member as a reader writes it: `body.messages[2].content`, `headers["x-id"]`. */
export const memberPath = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : IDENTIFIER.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;

/** A character as a JSON `\uXXXX` escape. */
export const unicodeEscape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** DEL and non-ASCII as `\uXXXX`, as Python's `json.dump` writes it: files stay byte-identical to llama-stack's. */
export const escapeNonAscii = (text: string) => text.replace(/[\u007f-\uffff]/g, unicodeEscape);

/** A JSON string token, escapes included (unrolled, so a long string costs no backtracking). */
export const JSON_STRING = /"[^"\\]*(?:\\.[^"\\]*)*"/g;

/** How many object members a parsed value holds, at any depth. */
const memberCount = (value: unknown): number =>
  Array.isArray(value)
    ? value.reduce((n: number, item) => n + memberCount(item), 0)
    : isObject(value)
      ? Object.values(value).reduce((n: number, item) => n + 1 + memberCount(item), 0)
      : 0;

const colonCount = (text: string): number => {
  let count = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) count++;
  return count;
};

/** An integer literal too long to be sure it is exact as a double (2^53 has 16 digits). */
const LONG_INTEGER = /(?<![\d.eE+-])-?\d{16,}(?![.\deE])/g;

/** Whether an integer literal reads as a double of the same value (one too big for a double reads as Infinity). */
function isExactInteger(literal: string): boolean {
  const read = Number(literal);
  return Number.isFinite(read) && BigInt(read) === BigInt(literal);
}

/**
 * Whether `value`, parsed from `text`, says all that `text` says: JSON.parse keeps the last of a
 * member given twice (`{"a":1,"a":2}` reads as `{"a":2}`) and rounds integers beyond 2^53
 * (9007199254740993 reads as 9007199254740992). Cheap when neither can be there (no more colons
 * than members, no 16-digit run), which is nearly always.
 */
export function parsedExactly(text: string, value: unknown): boolean {
  const members = memberCount(value);
  const longNumber = /\d{16}/.test(text);
  if (colonCount(text) === members && !longNumber) return true;
  const outsideStrings = text.replace(JSON_STRING, '""');
  if (colonCount(outsideStrings) !== members) return false;
  return !longNumber || [...outsideStrings.matchAll(LONG_INTEGER)].every(([literal]) => isExactInteger(literal));
}
