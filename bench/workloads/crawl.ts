import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildConversation } from '../conversation';
import { firstRecording, writeFiller } from '../filler';
import { BenchProject } from '../project';
import { atMost, contenderTable, ratioTable, spread, type WorkloadReport } from '../report';
import { fullRotation, LoadWatch, paired, pairDifferences, pairRatios, stats } from '../runner';

const TESTS = 5;
const LARGE = 20_000;
const PER_FOLDER = 10;

/**
 * A recordings tree in the default layout (`<rootDir>/recordings`, where Jest's own crawl of rootDir
 * would find it): the same 5 replayed tests with 5 recordings, then with 20,000.
 */
export async function crawl(): Promise<WorkloadReport> {
  const { project: small, env } = await buildConversation({ name: 'crawl-small', files: 1, testsPerFile: TESTS, calls: ['chat'] });
  const large = new BenchProject('crawl-large');
  // The same project (its own node_modules link aside), then the filler.
  const ownFile = (from: string) => path.relative(small.dir, from).split(path.sep)[0] !== 'node_modules';
  fs.cpSync(small.dir, large.dir, { recursive: true, filter: ownFile });
  writeFiller(large.path('recordings', 'tests'), fs.readFileSync(firstRecording(small.path('recordings'))), LARGE - TESTS, PER_FOLDER);
  const load = new LoadWatch();
  const rounds = fullRotation(2);
  const results = await paired(
    {
      '5 recordings': () => small.runJest('replay.config.js', env),
      '20,000 recordings': () => large.runJest('replay.config.js', env),
    },
    { rounds, label: 'crawl', load },
  );
  const [a, b] = [results['5 recordings'], results['20,000 recordings']];
  const growth = { label: '20,000 / 5 recordings', wall: pairRatios(b, a, 'wall'), cpu: pairRatios(b, a, 'cpu') };
  const wall = stats(growth.wall).median;
  const rss = stats(pairDifferences(b, a, 'rss'));
  return {
    title: '6. A large recordings tree inside rootDir',
    setup:
      `${TESTS} tests (one file, one replayed chat completion each) in the default layout, recordings in \`<rootDir>/recordings\`, ` +
      `with ${TESTS} recordings and with ${LARGE.toLocaleString('en')} ` +
      `(filler recordings of other tests, ${PER_FOLDER} per test folder), ` +
      `${rounds} rounds, Jest's cache warm (as a second run on a developer's machine).`,
    tables: [contenderTable(results), ratioTable([growth])],
    derived: [{ label: 'Peak RSS, 20,000 − 5 recordings, MiB (median (min–max) of the pairs)', value: spread(rss) }],
    targets: [
      atMost('20,000 recordings cost ≤ 3% wall over 5 (median of the pairs)', wall, 1.03, wall.toFixed(3)),
      atMost('20,000 recordings cost ≤ 10 MiB peak RSS over 5 (median of the pairs)', rss.median, 10, `${rss.median.toFixed(1)} MiB`),
    ],
    notes: [
      "The preset adds `<rootDir>/recordings/.+\\.json$` and the test folders (`<rootDir>/recordings/.+-[0-9a-f]{8}$`) to " +
        "`modulePathIgnorePatterns`, and has Jest crawl with its own walker (`haste.forceNodeFilesystemAPI`), which skips an " +
        'ignored folder without reading it (`find(1)`, its default, lists every file first). What is left of the tree for Jest is ' +
        'one folder per test file.',
      "The run's closing summary counts unused recordings from a listing of the tree, kept in the usage directory with each " +
        "folder's modification time: as the run ends it checks each folder's time (a `stat` per folder: 2,208 here, about " +
        '30 ms on this machine) and lists again only the folders that changed. That `stat` per folder and reading the listing ' +
        'are what 20,000 recordings still cost.',
    ],
    load: load.range,
  };
}
