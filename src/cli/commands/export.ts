import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ExportOptions, planExport, writeExport } from '../../core/inspect/export';
import { DEFAULT_FLOAT_FIELDS } from '../../core/recording/llama-stack-calls';
import { plural } from '../../core/util/words';
import { type Command, type CommandContext, EXIT, UsageError } from '../command';
import { fromCwd } from '../format';

const DEFAULT_STORAGE_DIR = 'tests/integration/common';

/** `--origin <url>` or `--origin <recorded origin>=<url>`: the origin the Python side sends to. */
function origins(values: string[]): ExportOptions['origins'] {
  return values.map((value) => {
    const [from, to] = value.includes('=') ? value.split(/=(.*)/s) : [undefined, value];
    for (const url of [from, to]) {
      if (url !== undefined && !(URL.canParse(url) && new URL(url).origin !== 'null')) {
        throw new UsageError(`--origin: ${JSON.stringify(url)} is not an origin like http://0.0.0.0:11434`);
      }
    }
    return { from: from && new URL(from).origin, to: new URL(to).origin };
  });
}

function exportOptions(values: CommandContext['values'], outDir: string): ExportOptions {
  const floats = values.float as string[] | undefined;
  const basePath = values['base-url-path'] as string | undefined;
  if (basePath !== undefined && basePath !== '' && !basePath.startsWith('/')) {
    throw new UsageError(`--base-url-path: ${JSON.stringify(basePath)} must start with / (or be empty)`);
  }
  return {
    outDir,
    testIdPrefix: values['test-id-prefix'] as string | undefined,
    storageDir: (values['storage-dir'] as string | undefined) ?? DEFAULT_STORAGE_DIR,
    basePath,
    origins: origins((values.origin as string[] | undefined) ?? []),
    // `--float=` (empty) names no field.
    floatFields: floats ? floats.filter((field) => field !== '') : DEFAULT_FLOAT_FIELDS,
    extraBody: (values['extra-body'] as string[] | undefined) ?? [],
  };
}

export const exportCommand: Command = {
  name: 'export',
  summary: "write the recordings as llama-stack's tree, for its Python recorder to replay",
  args: '<out-dir>',
  help: `Writes every recording (or those of --test-id-prefix) where llama-stack's recorder looks for the same
call: <out-dir>/<test file's folder>/recordings/<sha256>.json (models-<sha256>-<digest>.json for model lists;
recordings without a test id under <storage-dir>/recordings/), in llama-stack's shape: openai SDK results
as their Python types, HTTP errors as the exception the SDK raises, Anthropic's /v1/messages, Google's
/interactions and /rerank as raw HTTP. Files imported from llama-stack are written as they are.
The name hashes the Python call: its URL path is the Python client's base URL path followed by llama-stack's
endpoint label (/v1/v1/chat/completions for a base URL ending in /v1), and its floats are floats.
A recording that cannot be exported faithfully is named with the reason (exit code 1). Each file is
written atomically; an existing file with other content is never overwritten without --force (then nothing
is written).`,
  options: {
    'test-id-prefix': { type: 'string' },
    'base-url-path': { type: 'string' },
    origin: { type: 'string', multiple: true },
    float: { type: 'string', multiple: true },
    'extra-body': { type: 'string', multiple: true },
    'storage-dir': { type: 'string' },
    force: { type: 'boolean' },
  },
  optionHelp: [
    ['--test-id-prefix <prefix>', 'Only the recordings of test ids starting with it'],
    ['--base-url-path <path>', "Path of the Python client's base URL, e.g. /v1 (default: the one each request was sent under)"],
    ['--origin [<recorded>=]<url>', 'Origin the Python side sends to, instead of every recorded one or of one (repeatable)'],
    ['--float <field>', `Body field Python sends as a float (repeatable; default: ${DEFAULT_FLOAT_FIELDS.join(', ')}; --float= for none)`],
    ['--extra-body <field>', 'Body field the Python call passes in extra_body (repeatable)'],
    ['--storage-dir <path>', `llama-stack's storage dir in <out-dir>, for recordings without test id (default: ${DEFAULT_STORAGE_DIR})`],
    ['--force', 'Overwrite existing files that differ'],
  ],
  async run({ dir, values, positionals, out }) {
    if (positionals.length !== 1) throw new UsageError('give one output folder: the root of the llama-stack tree to write');
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`no recordings directory at ${dir}`);
    const outDir = path.resolve(positionals[0]);
    const planned = planExport(dir, exportOptions(values, outDir));
    const skipped = planned.filter((entry) => 'reason' in entry);
    for (const entry of skipped) if ('reason' in entry) out(`not exported ${fromCwd(entry.source)}: ${entry.reason}`);
    const force = values.force === true;
    const { written, conflicts } = writeExport(planned, force);
    if (conflicts.length > 0 && !force) {
      for (const target of conflicts) out(`refusing to overwrite ${fromCwd(target)}: it exists with other content (--force overwrites it)`);
      out(`nothing written: ${plural(conflicts.length, 'file')} would be overwritten`);
      return EXIT.problems;
    }
    for (const { source, target, outcome } of written) {
      out(`exported ${fromCwd(source)} -> ${fromCwd(target)}${outcome === 'unchanged' ? ' (unchanged)' : ''}`);
    }
    out(`${written.length} exported, ${skipped.length} not exported`);
    return skipped.length > 0 || written.length === 0 ? EXIT.problems : EXIT.ok;
  },
};
