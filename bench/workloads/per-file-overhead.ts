import { BenchProject } from '../project';
import { atMost, contenderTable, spread, type WorkloadReport } from '../report';
import { fullRotation, LoadWatch, paired, pairDifferences, stats } from '../runner';

const FILES = 100;
const LIMIT_MS = 15;

/** What the preset costs per test file, with test files that make no request: setting up and ending a file, nothing else. */
export async function perFileOverhead(): Promise<WorkloadReport> {
  const project = new BenchProject('per-file-overhead');
  for (let file = 0; file < FILES; file++) {
    project.write(`tests/file-${String(file).padStart(3, '0')}.test.js`, "test('adds', () => expect(1 + 1).toBe(2));\n");
  }
  project.writeConfig('node.config.js', { testEnvironment: 'node' });
  project.writeConfig('nock.config.js', { testEnvironment: 'node', setupFilesAfterEnv: ['<rootDir>/nock-setup.js'] });
  project.write('nock-setup.js', "const nock = require('nock');\nafterEach(() => nock.cleanAll());\n");
  project.writeConfig('replay.config.js', { preset: 'jest-replay' });
  const load = new LoadWatch();
  const rounds = fullRotation(3);
  const results = await paired(
    {
      'node environment': () => project.runJest('node.config.js'),
      'node + nock': () => project.runJest('nock.config.js'),
      'jest-replay preset': () => project.runJest('replay.config.js'),
    },
    { rounds, label: 'per-file overhead', load },
  );
  const perFile = (baseline: keyof typeof results, figure: 'wall' | 'cpu') =>
    stats(pairDifferences(results['jest-replay preset'], results[baseline], figure).map((ms) => ms / FILES));
  const wall = perFile('node environment', 'wall');
  return {
    title: '3. Per-file overhead',
    setup:
      `${FILES} test files with one test each that makes no request, ${rounds} rounds: what setting up and ending a test file costs, ` +
      'and nothing else. nock is loaded again in every test file by its setup file.',
    tables: [contenderTable(results)],
    derived: [
      { label: 'jest-replay over the node environment, per file, wall ms (median (min–max) of the pairs)', value: spread(wall) },
      { label: 'the same, CPU ms', value: spread(perFile('node environment', 'cpu')) },
      { label: 'jest-replay over node + nock, per file, wall ms', value: spread(perFile('node + nock', 'wall')) },
    ],
    targets: [atMost(`≤ ${LIMIT_MS} ms per file over the node environment, wall`, wall.median, LIMIT_MS, `${wall.median.toFixed(1)} ms`)],
    notes: [
      'Per file the preset installs and removes the interceptors (`fetch`, `node:http`, undici\'s dispatcher) and the replay-mode ' +
        'network guard, resolves its options, and writes the file\'s usage note for the run\'s summary.',
    ],
    load: load.range,
  };
}
