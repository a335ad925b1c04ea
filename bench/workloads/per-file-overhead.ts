import { buildConversation } from '../conversation';
import type { WorkloadReport } from '../report';
import { alternate } from '../runner';

const FILES = 100;

/** Workload 2: what the preset costs per test file, over a plain node environment with a hand-written interceptor. */
export async function perFileOverhead(rounds: number): Promise<WorkloadReport> {
  const { project, env } = await buildConversation({ name: 'per-file-overhead', files: FILES, testsPerFile: 1, calls: ['chat'] });
  const results = await alternate(
    {
      'a. node + nock': () => project.runJest('floor.config.js', env),
      "a'. node + fetch stub": () => project.runJest('stub.config.js', env),
      'b. jest-replay preset': () => project.runJest('replay.config.js', env),
    },
    { rounds, label: 'per-file overhead' },
  );
  const perFile = (baseline: keyof typeof results) => (results['b. jest-replay preset'].median - results[baseline].median) / FILES;
  const overStub = perFile("a'. node + fetch stub");
  return {
    title: '2. Per-file overhead',
    setup:
      `${FILES} test files with one test each, making one replayed (non-streaming) chat completion. ` +
      "nock is loaded again in every test file's module registry; the fetch stub is nothing but a function.",
    unit: 'ms',
    results,
    derived: [
      { label: 'Extra per file over nock, (b − a) / 100', value: `${perFile('a. node + nock').toFixed(1)} ms` },
      { label: "Extra per file over the fetch stub, (b − a') / 100", value: `${overStub.toFixed(1)} ms` },
    ],
    targets: [{ text: '≤ 15 ms extra per file (over the stub, the stricter baseline)', holds: overStub <= 15 }],
    notes: [
      "What the preset adds per file (CPU profile): installing and removing the interceptors, and Node's AsyncLocalStorage hook, " +
        'which runs on every promise created while a test runs (it keeps requests with the test that made them).',
    ],
  };
}
