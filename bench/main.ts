import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './project';
import { renderReport, type WorkloadReport } from './report';
import { log } from './runner';
import { crawl } from './workloads/crawl';
import { mainSuite } from './workloads/main-suite';
import { memory } from './workloads/memory';
import { perFileOverhead } from './workloads/per-file-overhead';
import { recordStreaming } from './workloads/record-streaming';
import { scale } from './workloads/scale';
import { streams } from './workloads/streams';

/**
 * `npm run bench`: every workload, then BENCHMARKS.md. `npm run bench -- streams crawl` runs only the
 * named workloads and prints their sections instead of rewriting the file. A target that is not met is
 * printed as missed; the bench never fails for it.
 */
const WORKLOADS: Record<string, () => Promise<WorkloadReport>> = {
  main: mainSuite,
  streams,
  'per-file': perFileOverhead,
  memory,
  scale,
  crawl,
  'record-streaming': recordStreaming,
};

async function main(): Promise<void> {
  const chosen = process.argv.slice(2);
  const unknown = chosen.filter((name) => !(name in WORKLOADS));
  if (unknown.length > 0) throw new Error(`unknown workload(s) ${unknown.join(', ')}; known: ${Object.keys(WORKLOADS).join(', ')}`);
  const startedAt = new Date();
  const reports: WorkloadReport[] = [];
  for (const name of chosen.length > 0 ? chosen : Object.keys(WORKLOADS)) {
    log(`${name}: starting`);
    reports.push(await WORKLOADS[name]());
    // What is measured is never lost to a later workload's failure.
    log(`${name}: done\n${renderReport(reports.slice(-1), startedAt, 0)}`);
  }
  const report = renderReport(reports, startedAt, (Date.now() - startedAt.getTime()) / 1000);
  if (chosen.length > 0) return void process.stdout.write(report);
  fs.writeFileSync(path.join(REPO, 'BENCHMARKS.md'), report);
  log('BENCHMARKS.md written');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
