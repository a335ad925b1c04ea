import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSummaryFile } from '../../src/jest/reporter';

test('the summary file is written as JSON; a path that cannot be written is a line of the summary, not an error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-summary-'));
  try {
    const file = path.join(dir, 'summary.json');
    expect(writeSummaryFile(file, { complete: true })).toEqual([]);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ complete: true });
    const [line] = writeSummaryFile(path.join(file, 'under-a-file.json'), { complete: true });
    expect(line).toMatch(/^jest-replay: could not write the summary to .*under-a-file\.json \(JEST_REPLAY_SUMMARY_FILE\): /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
