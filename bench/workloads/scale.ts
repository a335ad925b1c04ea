import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildConversation } from '../conversation';
import { firstRecording, writeFiller } from '../filler';
import { atMost, contenderTable, ratioTable, type WorkloadReport } from '../report';
import { fullRotation, LoadWatch, log, paired, pairRatios, stats } from '../runner';

const TESTS = 50;
const FILLER_PER_FOLDER = 100;

/**
 * Lookups: the same 50 replayed tests with 100 and with 100,000 files in the recordings tree. The trees
 * live outside the project's rootDir (`JEST_REPLAY_DIR`), so Jest's own crawl does not see them and only
 * jest-replay's lookups (and its summary's listing) can tell the two apart.
 */
export async function scale(): Promise<WorkloadReport> {
  const { project, env, recordingFiles } = await buildConversation({ name: 'scale', files: 5, testsPerFile: TESTS / 5, calls: ['chat'] });
  const small = recordingTree(project.path('recordings'), 'small', 100 - recordingFiles);
  const large = recordingTree(project.path('recordings'), 'large', 100_000 - recordingFiles);
  const load = new LoadWatch();
  const rounds = fullRotation(2);
  const results = await paired(
    {
      '100 recording files': () => project.runJest('replay.config.js', { ...env, JEST_REPLAY_DIR: small }),
      '100,000 recording files': () => project.runJest('replay.config.js', { ...env, JEST_REPLAY_DIR: large }),
    },
    { rounds, label: 'scale', load },
  );
  const [a, b] = [results['100 recording files'], results['100,000 recording files']];
  const growth = { label: '100,000 / 100 files', wall: pairRatios(b, a, 'wall'), cpu: pairRatios(b, a, 'cpu') };
  const wall = stats(growth.wall).median;
  return {
    title: '5. Lookups in a large tree',
    setup:
      `${TESTS} tests (5 files, one replayed chat completion each) replayed with a recordings tree of 100 files, then of 100,000 ` +
      `(filler recordings of other test files, ${FILLER_PER_FOLDER} per test folder), ${rounds} rounds. The trees sit outside rootDir, ` +
      "so Jest's own crawl does not see them.",
    tables: [contenderTable(results), ratioTable([growth])],
    targets: [atMost('100,000 / 100 files ≤ 1.05, wall (median of the pairs)', wall, 1.05, wall.toFixed(3))],
    notes: [
      '`RecordingStore` lists only the folder of the running test (once per folder, then from memory) and never walks the tree.',
      "The run's closing summary does need the whole tree (to count unused recordings). The first run lists it on a second " +
        'thread while the tests run; from then on the reporter reads the listing it kept (one string of names per folder), ' +
        'checks each folder\'s modification time (a `stat` per folder: 1,157 here) as the run ends, lists again only the folders ' +
        'that changed, and counts a folder the run did not use from its listing, without its names.',
    ],
    load: load.range,
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
    writeFiller(path.join(target, 'tests'), fs.readFileSync(firstRecording(real)), filler, FILLER_PER_FOLDER);
    fs.writeFileSync(complete, String(filler));
    log(`scale: wrote ${filler} filler recordings in ${target}`);
  }
  // The real recordings are fresh from this run (an earlier run's are replaced); the filler's folders never collide with theirs.
  for (const testFile of fs.readdirSync(path.join(real, 'tests'))) fs.rmSync(path.join(target, 'tests', testFile), { recursive: true, force: true });
  fs.cpSync(real, target, { recursive: true });
  return target;
}
