import * as path from 'node:path';
import { applyAccept, planAccept } from '../../core/drift/accept';
import { formatDriftJson, formatDriftMarkdown, formatDriftText, type ReportCommands } from '../../core/drift/format';
import { withDriftFlags } from '../../core/drift/options';
import { driftReport, type DriftReport } from '../../core/drift/report';
import { type DriftNote, driftDirProblem, liveDirOf, readDriftRun } from '../../core/drift/scratch';
import { ReplayConfigError } from '../../core/errors';
import { driftCommandProblem } from '../../core/mode';
import { readRecordingFile } from '../../core/store/store';
import { printable } from '../../core/util/printable';
import { packageRunner, shellQuote } from '../../core/util/shell';
import { plural } from '../../core/util/words';
import { type Command, type CommandContext, EXIT, UsageError } from '../command';
import { fromCwd } from '../format';
import { runJest } from '../run-jest';

/** The command again (`--last`) and with `--accept`, as the user ran it: the same folder, config and project. */
function commands({ values }: CommandContext, liveDir: string): ReportCommands {
  const runner = packageRunner(process.env.npm_config_user_agent, 'jest-replay');
  const given = (['out', 'config', 'project'] as const).filter((name) => values[name] !== undefined);
  const options = given.map((name) => ` --${name} ${shellQuote(String(values[name]))}`).join('');
  return { again: `${runner} drift --last${options}`, accept: `${runner} drift --accept${options}`, liveDir: fromCwd(liveDir) };
}

/** Runs the project's Jest in drift mode, writing to `driftDir`; refused under CI without an explicit JEST_REPLAY_MODE=drift. */
async function runDrift({ options, values, positionals }: CommandContext, driftDir: string): Promise<number> {
  const problem = driftCommandProblem(process.env) ?? driftDirProblem(driftDir, options.dir);
  if (problem) throw new ReplayConfigError(`jest-replay: ${problem}`);
  const given = [...(values.config === undefined ? [] : ['--config', String(values.config)])];
  if (values.project !== undefined) given.push('--selectProjects', String(values.project));
  // --dir names the recordings for the run too, as JEST_REPLAY_DIR does.
  const dir: Record<string, string> = values.dir === undefined ? {} : { JEST_REPLAY_DIR: options.dir };
  return runJest(process.cwd(), [...given, ...positionals], { JEST_REPLAY_MODE: 'drift', JEST_REPLAY_DRIFT_DIR: driftDir, ...dir });
}

/** Moves the chosen tests' live exchanges into the recordings (every test that drifted when none is named). */
function accept(context: CommandContext, notes: DriftNote[], report: DriftReport, liveDir: string): number {
  const { positionals, dir, rules, out } = context;
  const testIds = positionals.length > 0 ? positionals : [...new Set(report.groups.flatMap((g) => g.occurrences.map((o) => o.testId)))];
  if (testIds.length === 0) {
    out('nothing to accept: no test drifted in the last drift run');
    return EXIT.ok;
  }
  const plan = planAccept(notes, testIds, { dir, liveDir, rules: rules(), shown: fromCwd });
  if (plan.problems.length > 0) {
    for (const problem of plan.problems) out(`cannot accept: ${printable(problem)}`);
    out('nothing accepted');
    return EXIT.problems;
  }
  for (const { target, outcome } of applyAccept(dir, plan)) out(`${outcome.padEnd(9)} ${fromCwd(target)}`);
  for (const file of plan.deletes) out(`deleted   ${fromCwd(file)} (its test no longer makes that request)`);
  for (const id of plan.keptFor)
    out(`kept the other recordings of ${printable(id)}: it failed in the drift run (a record run keeps them too)`);
  out(
    `accepted ${plural(new Set(testIds).size, 'test')}: ${plural(plan.writes.length, 'recording')} written, ${plan.deletes.length} deleted`,
  );
  return EXIT.ok;
}

export const driftCommand: Command = {
  name: 'drift',
  summary: 'run the suite against the live API and report where it drifted from the recordings (never writes them)',
  args: '[test files] [-- <jest options>]',
  help: `Runs the project's Jest in drift mode: every request goes to the live API (the tests get the live
responses) and what comes back is written to the drift folder (--out; default <usageDir>/drift), never to
the recordings. Each live response is then compared with the recording replay would have used, as an LLM
API must be compared: text and numbers are not drift (unless --text or --tolerance); the status, the
framing, the content type, the JSON's shape, a stream's kinds of events, their order and its [DONE],
finish reasons, tool calls and their arguments, the model the server names, and a request that no longer
keys to any recording are. One change shared by many requests is shown once, with each request it touches.
Arguments (test files, and Jest's own options after --) go to Jest. Under CI it runs only with an explicit
JEST_REPLAY_MODE=drift. With --accept [test id...], the chosen tests' live exchanges (every test that
drifted, when none is named) become their recordings, as a record run of them would write them.
Exit code: 0 when nothing drifted, 1 on drift or requests that could not be checked (0 with --report-only),
2 on a usage error or a refusal.`,
  options: {
    out: { type: 'string' },
    last: { type: 'boolean' },
    accept: { type: 'boolean' },
    json: { type: 'boolean' },
    markdown: { type: 'boolean' },
    'report-only': { type: 'boolean' },
    ignore: { type: 'string', multiple: true },
    text: { type: 'boolean' },
    tolerance: { type: 'string' },
  },
  optionHelp: [
    ['--out <folder>', 'Where the live exchanges and notes go (default: <usageDir>/drift); only a drift folder or an empty one is cleared'],
    ['--last', 'Report the last drift run again, without running Jest'],
    ['--accept', 'Make the live exchanges of the test ids given (or of every test that drifted) their recordings'],
    ['--json', 'Print the report as JSON'],
    ['--markdown', 'Print the report as Markdown for an issue or pull-request comment (escaped, at most 65,536 characters)'],
    ['--report-only', 'Exit with 0 even when something drifted'],
    ['--ignore <path>', "Leave a path of the report out (repeatable), besides the config's drift.ignore"],
    ['--text', 'Count a change of the answer text as drift'],
    ['--tolerance <n>', 'Count a number that moved by more than n as drift'],
  ],
  async run(context) {
    const { values, positionals, options, out, err } = context;
    if (values.json && values.markdown) throw new UsageError('give --json or --markdown, not both');
    if (values.last && positionals.length > 0)
      throw new UsageError(`--last runs nothing: it takes no arguments, got ${positionals.join(' ')}`);
    const driftDir = values.out === undefined ? options.driftDir : path.resolve(String(values.out));
    const liveDir = liveDirOf(driftDir);
    const flags = {
      ignore: values.ignore as string[] | undefined,
      text: values.text === true,
      tolerance: values.tolerance as string | undefined,
    };
    const reportOptions = withDriftFlags(options.drift, flags);
    if (typeof reportOptions === 'string') throw new UsageError(reportOptions);
    const runsJest = !values.last && !values.accept;
    const startedAt = Date.now();
    const jestCode = runsJest ? await runDrift(context, driftDir) : 0;
    const run = readDriftRun(driftDir);
    // A run that stopped before global setup leaves the last run's folder as it was: that is not this run's report.
    const ranNothing =
      runsJest && run !== undefined && (!(Date.parse(run.started) >= startedAt) || (jestCode !== 0 && run.notes.length === 0));
    if (!run || ranNothing) {
      err(
        runsJest
          ? `jest-replay drift: Jest exited with ${jestCode} before any test ran in drift mode: ` +
            'nothing was checked (its output above says why)'
          : `jest-replay drift: no drift run in ${fromCwd(driftDir)}: run jest-replay drift first`,
      );
      return EXIT.problems;
    }
    const checked = path.resolve(options.rootDir, run.recordings);
    if (checked !== options.dir)
      throw new UsageError(
        `the drift run in ${fromCwd(driftDir)} checked the recordings in ${fromCwd(checked)}, not ${fromCwd(options.dir)}`,
      );
    for (const file of run.unreadable) err(`skipped ${fromCwd(file)}: not a drift note`);
    const files = { dir: options.dir, liveDir, read: (file: string) => readRecordingFile(file, fromCwd(file)), shown: fromCwd };
    const report = driftReport(run.notes, files, reportOptions);
    if (values.accept) return accept(context, run.notes, report, liveDir);
    const shown = commands(context, liveDir);
    out(values.json ? formatDriftJson(report) : values.markdown ? formatDriftMarkdown(report, shown) : formatDriftText(report, shown));
    const drifted = report.groups.length > 0 || report.unchecked.length > 0;
    return drifted && !values['report-only'] ? EXIT.problems : EXIT.ok;
  },
};
