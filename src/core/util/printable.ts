import { unicodeEscape } from './json';

/**
 * Control characters (C0, DEL, C1) and bidirectional overrides, which a terminal would act on: a test
 * id or a recorded value could clear the screen, recolour or reorder what follows, or hide a line.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const hexEscape = (char: string) => {
  const code = char.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : unicodeEscape(char);
};

/** `text` on one line, with what a terminal would act on written as escapes (`\x1b`, `\n`, `\u202e`). */
export const printable = (text: string): string => text.replace(UNPRINTABLE, (char) => NAMED_ESCAPES[char] ?? hexEscape(char));

/** Several lines of output, each made printable: the line breaks stay. */
export const printableLines = (text: string): string => text.split('\n').map(printable).join('\n');
