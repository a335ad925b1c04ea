import type { AggregatedResult, TestContext } from '@jest/test-result';
import type { Config } from '@jest/types';
import * as path from 'node:path';
import type { FileUsage } from '../core/store/usage';
import { printable } from '../core/util/printable';
import { relativeTestPath } from './test-id';

/**
 * Whether a run covered every test of every test file Jest knows of (for a shard: its whole share), so that a
 * recording no test asked for may be called unused, and if not, what left tests out: a filter, an interruption,
 * a test file that did not run, `test.only`. Skipped and todo tests do not make a run partial: they keep their
 * recordings (see store/unused.ts).
 */

/** What made a run partial; empty for a complete run. */
export function partialReasons(globalConfig: Config.GlobalConfig, results: AggregatedResult, files: FileUsage[]): string[] {
  const g = globalConfig as Config.GlobalConfig & { testPathPattern?: string };
  const reasons: string[] = [];
  if (g.testNamePattern) reasons.push(`-t ${printable(g.testNamePattern)}`);
  const paths = (g.testPathPatterns?.patterns?.length ?? 0) > 0 || Boolean(g.testPathPattern) || g.nonFlagArgs?.length > 0;
  if (paths) reasons.push('a path filter');
  const flags: [unknown, string][] = [
    [g.onlyChanged, '--onlyChanged'],
    [g.onlyFailures, '--onlyFailures'],
    [g.findRelatedTests, '--findRelatedTests'],
    [g.lastCommit, '--lastCommit'],
    [g.changedSince, '--changedSince'],
  ];
  reasons.push(...flags.filter(([set]) => Boolean(set)).map(([, flag]) => flag));
  if (results.wasInterrupted) reasons.push('interrupted');
  if (results.numRuntimeErrorTestSuites > 0) {
    const failed = results.testResults.filter((r) => r.testExecError).map((r) => path.relative(globalConfig.rootDir, r.testFilePath));
    reasons.push(`${failed.join(', ') || `${results.numRuntimeErrorTestSuites} test files`} could not run`);
  }
  const focused = [...new Set(files.filter((f) => f.focused).map((f) => f.testFile))];
  if (focused.length > 0) reasons.push(`test.only in ${focused.map(printable).join(', ')}`);
  if (reasons.length === 0 && results.testResults.length !== results.numTotalTestSuites) reasons.push('some test files did not run');
  return reasons;
}

/** The `@jest/core` of the Jest that runs this reporter, found among the loaded modules, as `node-environment.ts` finds jest-runner. */
function runningJestCore(): { SearchSource: new (context: TestContext) => { isTestFilePath(file: string): boolean } } | undefined {
  const file = Object.keys(require.cache).find((f) => /[\\/]@jest[\\/]core[\\/]build[\\/][^\\/]+\.js$/.test(f));
  if (!file) return undefined;
  try {
    return require(path.dirname(path.dirname(file)));
  } catch {
    return undefined;
  }
}

/**
 * The test files of the run's projects that did not run (a path filter, `--onlyChanged`), relative to their
 * project's rootDir; empty when the running Jest cannot say which files are test files.
 */
export function testFilesNotRun(testContexts: Set<TestContext>, results: AggregatedResult): string[] {
  const core = runningJestCore();
  if (!core) return [];
  const ran = new Set(results.testResults.map((r) => r.testFilePath));
  const missing = new Set<string>();
  for (const context of testContexts) {
    try {
      const search = new core.SearchSource(context);
      for (const file of context.hasteFS.getAllFiles()) {
        if (!ran.has(file) && search.isTestFilePath(file)) missing.add(relativeTestPath(context.config.rootDir, file));
      }
    } catch {
      // Another Jest's internals: the summary names what made the run partial, without the files.
    }
  }
  return [...missing].sort();
}
