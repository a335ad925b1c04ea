import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Recordings of tests that never run, to make a recordings tree large: copies of one real recording, named
 * as recordings are, `perFolder` to a test folder and 10 test folders to a test file's folder.
 */
export function writeFiller(folder: string, sample: Buffer, count: number, perFolder: number): void {
  for (let n = 0; n < count; n++) {
    const test = Math.floor(n / perFolder);
    const testFolder = path.join(folder, `filler-${Math.floor(test / 10)}.test.js`, `conversation_${test % 10}-${hex8(test)}`);
    if (n % perFolder === 0) fs.mkdirSync(testFolder, { recursive: true });
    fs.writeFileSync(path.join(testFolder, `${hex8(n)}${hex8(n * 7 + 1)}.json`), sample);
  }
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

export function firstRecording(folder: string): string {
  const name = (fs.readdirSync(folder, { recursive: true }) as string[]).find((file) => file.endsWith('.json'));
  if (!name) throw new Error(`no recording under ${folder}`);
  return path.join(folder, name);
}
