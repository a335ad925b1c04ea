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
