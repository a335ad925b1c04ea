import { parse, stringify } from 'lossless-json';
import { escapeNonAscii } from './json';

/**
 * JSON read and written with every number as written: `1.0` stays `1.0` (a float, to Python) and an
 * integer beyond 2^53 keeps every digit. Numbers are `LosslessNumber`s, everything else plain JSON;
 * object keys keep their order. For files of other tools (llama-stack's), which must pass unchanged.
 */
export const parseLossless = (text: string): unknown => parse(text);

/** The file text of a lossless value in this project's format: 2-space indent, ASCII only, final newline. */
export const losslessFileText = (value: unknown): string => `${escapeNonAscii(stringify(value, undefined, 2) ?? 'null')}\n`;
