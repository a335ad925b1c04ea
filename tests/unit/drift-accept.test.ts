import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyAccept, planAccept } from '../../src/core/drift/accept';
import type { DriftNote } from '../../src/core/drift/scratch';
import { keysOf } from '../../src/core/inspect/keys';
import { serializeRecording, type Recording } from '../../src/core/recording/format';
import { recordingFileName, testFolder } from '../../src/core/store/paths';

/** `--accept`: a test's live exchanges become its recordings, checked first; its other recordings go only as a record run's would. */
describe('accepting a drift', () => {
  let root: string;
  const dir = () => path.join(root, 'recordings');
  const liveDir = () => path.join(root, 'drift', 'live');
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'drift-accept-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Writes a recording of `testId` asking `content` under `base`, named by its key; returns its path relative to `base`. */
  function write(base: string, testId: string, content: string, answer = 'a'): string {
    const recording: Recording = {
      test_id: testId,
      request: {
        method: 'POST',
        url: 'http://h/v1/chat/completions',
        headers: {},
        body: { messages: [{ role: 'user', content }] },
        endpoint: '/v1/chat/completions',
        model: '',
      },
      response: { body: { answer }, is_streaming: false },
      id_normalization_mapping: {},
    };
    const relative = path.join(testFolder(testId), recordingFileName(keysOf(recording)[0], 1));
    fs.mkdirSync(path.dirname(path.join(base, relative)), { recursive: true });
    fs.writeFileSync(path.join(base, relative), serializeRecording(recording));
    return relative;
  }
  const note = (id: string, status: 'passed' | 'failed', live: string[]): DriftNote => ({
    testFile: 'a.test.js',
    recordings: 'recordings',
    scopes: [
      {
        id,
        status,
        requests: live.map((file) => ({ request: 'POST http://h/v1/chat/completions', ordinal: 1, recordings: [], live: file })),
      },
    ],
  });
  const setup = () => ({ dir: dir(), liveDir: liveDir(), rules: {}, shown: (file: string) => path.relative(root, file) });

  test('a test that passed: its live files written, its recordings the drift run did not make deleted, other tests untouched', () => {
    const [kept, stale, other] = [write(dir(), 't', 'same'), write(dir(), 't', 'asked before'), write(dir(), 'u', 'other')];
    const live = [write(liveDir(), 't', 'same', 'new answer'), write(liveDir(), 't', 'asked now')];
    const plan = planAccept([note('t', 'passed', live)], ['t'], setup());
    expect(plan).toMatchObject({ problems: [], deletes: [path.join(dir(), stale)], keptFor: [] });
    expect(applyAccept(dir(), plan).map(({ outcome }) => outcome)).toEqual(['changed', 'created']);
    expect(fs.readFileSync(path.join(dir(), kept), 'utf8')).toBe(fs.readFileSync(path.join(liveDir(), live[0]), 'utf8'));
    expect(fs.existsSync(path.join(dir(), stale))).toBe(false);
    expect(fs.existsSync(path.join(dir(), other))).toBe(true);
  });

  test('a test that failed keeps its other recordings, as a record run keeps them', () => {
    const stale = write(dir(), 't', 'asked before');
    const plan = planAccept([note('t', 'failed', [write(liveDir(), 't', 'asked now')])], ['t'], setup());
    expect(plan).toMatchObject({ problems: [], deletes: [], keptFor: ['t'] });
    applyAccept(dir(), plan);
    expect(fs.existsSync(path.join(dir(), stale))).toBe(true);
  });

  test('a live file edited since (its name no longer its key), or one holding a key, stops it: nothing is written', () => {
    const live = write(liveDir(), 't', 'asked now');
    const file = path.join(liveDir(), live);
    fs.writeFileSync(
      file,
      fs.readFileSync(file, 'utf8').replace('asked now', 'edited').replace('"a"', '"sk-proj-abcdefghijklmnopqrstuvwx"'),
    );
    const plan = planAccept([note('t', 'passed', [live])], ['t'], setup());
    expect(plan.problems).toEqual([
      expect.stringMatching(
        /^drift\/live\/t-[0-9a-f]{8}\/[0-9a-f]{16}\.json: its name says key [0-9a-f]{16}, but its request keys to [0-9a-f]{16} /,
      ),
      expect.stringMatching(
        /^drift\/live\/t-[0-9a-f]{8}\/[0-9a-f]{16}\.json: looks like it holds a credential: an OpenAI project key \("sk-proj-…"\)/,
      ),
    ]);
  });
});
