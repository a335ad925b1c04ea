import { buildConversation } from '../conversation';
import type { WorkloadReport } from '../report';
import { alternate } from '../runner';

/** Workload 2: what the preset costs per test file, over a plain node environment with nock. */
export async function perFileOverhead(rounds: number): Promise<WorkloadReport> {
  const files = 100;
  const { project, env } = await buildConversation({ name: 'per-file-overhead', files, testsPerFile: 1, calls: ['chat'] });
  const results = await alternate(
    {
      'a. testEnvironment node + nock': () => project.runJest('floor.config.js', env),
      'b. jest-replay preset': () => project.runJest('replay.config.js', env),
    },
    { rounds, label: 'per-file overhead' },
  );
  const extraPerFile = (results['b. jest-replay preset'].median - results['a. testEnvironment node + nock'].median) / files;
  return {
    title: '2. Per-file overhead',
    setup: `${files} test files with one test each, making one replayed (non-streaming) chat completion.`,
    unit: 'ms',
    results,
    derived: [{ label: 'Extra per file, (b − a) / 100', value: `${extraPerFile.toFixed(1)} ms` }],
    targets: [{ text: '≤ 15 ms extra per file', holds: extraPerFile <= 15 }],
  };
}
