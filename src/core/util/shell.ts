/** `text` as one word of a POSIX shell command: as is when it is plain, else in single quotes. */
export const shellQuote = (text: string): string => (/^[\w./:=@,+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/** `pnpm exec <bin>`, `yarn <bin>`, `bunx <bin>` or `npx <bin>`, from the user agent npm, pnpm, yarn and bun set for what they run. */
export function packageRunner(userAgent: string | undefined, bin = 'jest'): string {
  const name = /^([\w-]+)\//.exec(userAgent ?? '')?.[1];
  if (name === 'pnpm') return `pnpm exec ${bin}`;
  if (name === 'yarn') return `yarn ${bin}`;
  if (name === 'bun') return `bunx ${bin}`;
  return `npx ${bin}`;
}
