import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildConversation } from '../conversation';
import { WORK } from '../project';
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
  const trees = path.join(WORK, 'scale-trees');
  fs.rmSync(trees, { recursive: true, force: true });
  const small = recordingTree(project.path('recordings'), path.join(trees, 'small'), 100 - recordingFiles);
  const large = recordingTree(project.path('recordings'), path.join(trees, 'large'), 100_000 - recordingFiles);
  try {
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
        "A recordings tree inside rootDir is also crawled by Jest's haste map at start-up (not by jest-replay); keep very large trees out of rootDir or in `modulePathIgnorePatterns`.",
      ],
    };
  } finally {
    // 100,000 files would slow every later crawl of this checkout (the repo's own Jest included).
    fs.rmSync(trees, { recursive: true, force: true });
  }
}

/** A copy of the real recordings plus `filler` recordings of other tests; returns the tree's folder. */
function recordingTree(real: string, target: string, filler: number): string {
  fs.cpSync(real, target, { recursive: true });
  const sample = fs.readFileSync(firstRecording(real));
  for (let n = 0; n < filler; n++) {
    const test = Math.floor(n / FILLER_PER_FOLDER);
    const folder = path.join(target, 'tests', `filler-${Math.floor(test / 10)}.test.js`, `conversation_${test % 10}-${hex8(test)}`);
    if (n % FILLER_PER_FOLDER === 0) fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, `${hex8(n)}${hex8(n * 7 + 1)}.json`), sample);
  }
  log(`scale: ${target} has ${filler} filler recordings`);
  return target;
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

function firstRecording(folder: string): string {
  const name = (fs.readdirSync(folder, { recursive: true }) as string[]).find((file) => file.endsWith('.json'));
  if (!name) throw new Error(`no recording under ${folder}`);
  return path.join(folder, name);
}
