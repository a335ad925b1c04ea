import * as fs from 'node:fs';
import * as path from 'node:path';
import { jsonFilesUnder } from '../../core/inspect/inspect';
import { walkTree } from '../../core/store/storage';
import type { RecordingFileError } from '../../core/errors';
import { readRecordingText } from '../../core/store/store';
import { verifyRecording } from '../../core/inspect/verify';
import { plural } from '../../core/util/words';
import { type Command, EXIT, UsageError } from '../command';
import { linkLines, unreadableLines } from '../format';
import { KEY_OPTION_HELP, KEY_OPTIONS } from '../key-options';
import type { KeyRules } from '../../core/keying/rules';

/** A file's problems; one that cannot be read is one problem, and the others are still checked. */
function problemsOf(file: string, relative: string, rules: KeyRules): string[] {
  let text: string;
  try {
    text = readRecordingText(file, relative);
  } catch (error) {
    return [(error as RecordingFileError).problem];
  }
  return verifyRecording(relative, text, rules);
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check every recording: parses, replays, named by its key, holds no credential',
  args: '',
  help: `Checks every .json file under the recordings directory: it parses and has the schema replay
needs (known "__type__" wrappers included), its response can be replayed, its name and folder are
the ones its request and test_id key to (<key16>.json, <key16>.<n>.json, _shared/models-<key16>-<digest8>.json),
and it holds nothing that looks like a credential ("sk-…", "sk_…", "xai-…", "ghp_…", "AIza…" and other
known key shapes, in a stream also split across items, "Bearer …" tokens, JSON Web Tokens, authorization
or api-key headers, credentials in the URL, a request body field such as api_key not replaced by
"<redacted>"). Prints one line per problem, with the file's path. Names are checked against the keys the
project's recorder makes: with the normalizers, matchIgnore paths and redact hook of its Jest config, and
the paths a test's own replay.matchIgnore() stored in its file.
Exit code: 0 when every file is fine, 1 when there are problems, 2 on a usage error.`,
  options: KEY_OPTIONS,
  optionHelp: KEY_OPTION_HELP,
  eachProject: true,
  async run({ dir, positionals, rules, out }) {
    if (positionals.length > 0) throw new UsageError(`takes no arguments, got ${positionals.join(' ')} (name the recordings directory with --dir)`);
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`no recordings directory at ${dir}`);
    const keyRules = rules();
    const tree = walkTree(dir);
    const files = jsonFilesUnder(tree).map((name) => path.join(dir, name));
    let problems = 0;
    for (const file of files) {
      const relative = path.relative(dir, file).split(path.sep).join('/');
      for (const problem of problemsOf(file, relative, keyRules)) {
        out(`${path.relative(process.cwd(), file)}: ${problem}`);
        problems++;
      }
    }
    for (const line of [...linkLines(dir, tree.links), ...unreadableLines(dir, tree.unreadable)]) out(line);
    out(`${plural(files.length, 'recording')} checked, ${problems === 0 ? 'no problems' : plural(problems, 'problem')}`);
    return problems === 0 ? EXIT.ok : EXIT.problems;
  },
};
