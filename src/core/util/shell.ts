/** `text` as one word of a POSIX shell command: as is when it is plain, else in single quotes. */
export const shellQuote = (text: string): string => (/^[\w./:=@,+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
