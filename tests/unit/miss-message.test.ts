import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serializeRecording } from '../../src/core/recording/format';
import { missMessage } from '../../src/core/session/miss-message';
import { TestScope } from '../../src/core/session/scope';
import { RecordingStore } from '../../src/core/store/store';

const FILE = 'tests/weather.test.ts';
const id = (title: string) => `${FILE}::weather::${title}`;
const cli = { runner: 'pnpm exec jest-replay', options: ' --config e2e.config.js' };
const reporting = { command: 'pnpm exec jest', cli, verbose: false };
const URL_ = 'https://api.openai.com/v1/chat/completions';

describe("a miss of a test with no recordings: the renamed test's mv line", () => {
  let dir: string;
  let store: RecordingStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-miss-'));
    store = new RecordingStore(dir);
    for (const title of ["asks about rain", "asks about snow"]) {
      const recording = {
        test_id: id(title),
        request: { method: 'POST', url: URL_, headers: {}, body: {}, endpoint: '/v1/chat/completions', model: '' },
        response: { body: {}, is_streaming: false },
        id_normalization_mapping: {},
      };
      const file = store.fileFor(id(title), '0'.repeat(64), 1);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, serializeRecording(recording));
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const miss = (testId: string, declaredIds?: () => readonly string[] | undefined) => {
    const scope = new TestScope({ testId, testPath: FILE, fullName: testId.split('::').slice(1).join(' '), declaredIds });
    const request = { method: 'POST', url: new URL(URL_), body: { kind: 'empty' as const }, keyBody: null };
    const keyed = { ...request, key: '1'.repeat(64), ordinal: 1, shared: false, credentials: [] };
    return missMessage(store, dir, scope, keyed, { normalize: (body) => body, reporting });
  };

  test('offers the nearest id no test of the file has now, quoted for the shell, run as the run was', async () => {
    const message = await miss(id("asks about the rain's chance"), () => [id("asks about the rain's chance"), id('asks about snow')]);
    expect(message).toContain(
      [
        'Renamed? Move the recordings of its old id to it (no network call):',
        `  pnpm exec jest-replay mv '${id('asks about rain')}' '${FILE}::weather::asks about the rain'\\''s chance' --config e2e.config.js`,
        'or record it with real credentials:',
        `  RECORD=1 pnpm exec jest ${FILE} -t`,
      ].join('\n'),
    );
    expect(message.split('\n').length).toBeLessThanOrEqual(15);
  });

  test('never a sibling still declared, nor an id far away, nor when the file’s ids cannot be told', async () => {
    for (const declared of [() => [id('asks about hail'), id('asks about rain'), id('asks about snow')], () => undefined, undefined]) {
      const message = await miss(id('asks about hail'), declared);
      expect(message).not.toContain('jest-replay mv');
      expect(message).toContain('Record it with real credentials:');
    }
    const renamed = id('lists every forecast for the whole coming week');
    const far = await miss(renamed, () => [renamed]);
    expect(far).not.toContain('jest-replay mv');
  });
});
