import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildConversation } from '../conversation';
import { ratio, type WorkloadReport } from '../report';
import { alternate, log } from '../runner';

const TESTS = 50;
const FILLER_PER_FOLDER = 100;

/**
 * Workload 3: the same 50 replayed tests with 100 and with 100,000 files in the recordings tree.
 * The trees live outside the project's rootDir (`JEST_REPLAY_DIR`), so Jest's own file crawl
 * does not see them and only jest-replay's lookups can tell the two apart.
 */
export async function scale(rounds: number): Promise<WorkloadReport> {
  const { project, env, recordingFiles } = await buildConversation({ name: 'scale', files: 5, testsPerFile: TESTS / 5, calls: ['chat'] });
  const small = recordingTree(project.path('recordings'), 'small', 100 - recordingFiles);
  const large = recordingTree(project.path('recordings'), 'large', 100_000 - recordingFiles);
  const results = await alternate(
    {
      'a. 100 recording files': () => project.runJest('replay.config.js', { ...env, JEST_REPLAY_DIR: small }),
      'b. 100,000 recording files': () => project.runJest('replay.config.js', { ...env, JEST_REPLAY_DIR: large }),
    },
    { rounds, label: 'scale' },
  );
  const growth = ratio(results['b. 100,000 recording files'], results['a. 100 recording files']);
  return {
    title: '3. Scale',
    setup:
      `${TESTS} tests (5 files, one replayed chat completion each) replayed with a recordings tree of 100 files, then of 100,000 ` +
      `(filler recordings of other test files, ${FILLER_PER_FOLDER} per test folder). The trees sit outside rootDir, so Jest's own crawl does not see them.`,
    unit: 'ms',
    results,
    derived: [{ label: 'b/a', value: growth.toFixed(3) }],
    targets: [{ text: 'b/a ≤ 1.05', holds: growth <= 1.05 }],
    notes: [
      '`RecordingStore` lists only the folder of the running test (once per folder, then from memory) and never walks the tree.',
      "The run's closing summary does need the whole tree (to count unused recordings): the reporter lists and judges it on a second " +
        'thread, started with the first test file, so the listing overlaps the tests. Listed at the end instead, with a stat per file, ' +
        'it made b/a 1.77 here; without the stats, 1.13.',
      "A recordings tree inside rootDir is also crawled by Jest's haste map at start-up (not by jest-replay); keep very large trees out of rootDir or in `modulePathIgnorePatterns`.",
    ],
  };
}

/**
 * A tree of the real recordings plus `filler` recordings of other tests; returns its folder.
 * Kept in the system's temporary folder from run to run: writing (and deleting) 100,000 files
 * takes minutes, and inside this checkout they would slow every Jest crawl of it.
 */
function recordingTree(real: string, name: string, filler: number): string {
  const target = path.join(os.tmpdir(), 'jest-replay-bench', `scale-${name}`);
  const complete = path.join(target, '.filler-complete');
  if (!fs.existsSync(complete) || fs.readFileSync(complete, 'utf8') !== String(filler)) {
    fs.rmSync(target, { recursive: true, force: true });
    writeFiller(path.join(target, 'tests'), fs.readFileSync(firstRecording(real)), filler);
    fs.writeFileSync(complete, String(filler));
    log(`scale: wrote ${filler} filler recordings in ${target}`);
  }
  // The real recordings are fresh from this run (an earlier run's are replaced); the filler's folders never collide with theirs.
  for (const testFile of fs.readdirSync(path.join(real, 'tests'))) fs.rmSync(path.join(target, 'tests', testFile), { recursive: true, force: true });
  fs.cpSync(real, target, { recursive: true });
  return target;
}

function writeFiller(folder: string, sample: Buffer, count: number): void {
  for (let n = 0; n < count; n++) {
    const test = Math.floor(n / FILLER_PER_FOLDER);
    const testFolder = path.join(folder, `filler-${Math.floor(test / 10)}.test.js`, `conversation_${test % 10}-${hex8(test)}`);
    if (n % FILLER_PER_FOLDER === 0) fs.mkdirSync(testFolder, { recursive: true });
    fs.writeFileSync(path.join(testFolder, `${hex8(n)}${hex8(n * 7 + 1)}.json`), sample);
  }
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

function firstRecording(folder: string): string {
  const name = (fs.readdirSync(folder, { recursive: true }) as string[]).find((file) => file.endsWith('.json'));
  if (!name) throw new Error(`no recording under ${folder}`);
  return path.join(folder, name);
}
