import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig } from '../../src/core/config';
import { RecordingFileError, ReplayError } from '../../src/core/errors';
import type { Mode } from '../../src/core/mode';
import { type Passthrough, ReplaySession, type TestScope } from '../../src/core/session';
import { RecordingStore } from '../../src/core/store/store';

/**
 * ReplaySession driven directly, without Jest or interception: a fake upstream, a temporary
 * recordings folder, and each mode against a found, missing or broken recording.
 */

const TEST_ID = 'tests/chat.test.ts::chat::says hi';
const URL_ = 'https://api.example.test/v1/chat/completions';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-session-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** An upstream that answers each request with the next answer, and counts what it was asked. */
function fakeUpstream(...answers: string[]): Passthrough & { calls: number } {
  const upstream = Object.assign(
    async (_request: Request, body: Uint8Array | null) => {
      upstream.calls++;
      const prompt = JSON.parse(new TextDecoder().decode(body!)).messages[0].content;
      return Response.json({ answer: answers[Math.min(upstream.calls, answers.length) - 1], prompt });
    },
    { calls: 0 },
  );
  return upstream;
}

function session(mode: Mode, upstream: Passthrough = fakeUpstream('unused')): ReplaySession {
  const config = resolveConfig({ rootDir: root, env: { JEST_REPLAY_MODE: mode } });
  return new ReplaySession(config, new RecordingStore(config.dir), upstream);
}

const chat = (content: string) =>
  new Request(URL_, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] }) });

/** Hands a request to the session as the interception does: with its body read. */
const handled = async (session: ReplaySession, request: Request) => session.handle(request, new Uint8Array(await request.arrayBuffer()));

/** Runs one test's requests in a scope of its own, closes it, and returns the scope and the answers. */
async function inTest(s: ReplaySession, ...prompts: string[]): Promise<{ scope: TestScope; answers: Response[]; problems: Error[] }> {
  const scope = s.open({ testId: TEST_ID, testPath: 'tests/chat.test.ts', fullName: 'chat says hi' });
  const answers: Response[] = [];
  for (const prompt of prompts) answers.push(await s.run(scope, () => handled(s, chat(prompt))));
  const problems = await s.close(scope);
  s.settle(scope, problems.length ? 'failed' : 'passed');
  return { scope, answers, problems };
}

const answerOf = async (response: Response) => ((await response.json()) as { answer: string }).answer;

const recordingFiles = () => {
  const folder = new RecordingStore(path.join(root, 'recordings')).folderOf(TEST_ID);
  return fs.existsSync(folder) ? fs.readdirSync(folder).sort().map((name) => path.join(folder, name)) : [];
};

describe('ReplaySession', () => {
  test('record: forwards to the upstream, answers with its response and writes one file per request', async () => {
    const upstream = fakeUpstream('hello');
    const { answers, problems, scope } = await inTest(session('record', upstream), 'hi');
    expect(problems).toEqual([]);
    expect(upstream.calls).toBe(1);
    expect(await answers[0].json()).toEqual({ answer: 'hello', prompt: 'hi' });
    const files = recordingFiles();
    expect(files).toHaveLength(1);
    expect(scope.written).toEqual([{ file: files[0], outcome: 'created' }]);
    const stored = JSON.parse(fs.readFileSync(files[0], 'utf8'));
    expect(stored.test_id).toBe(TEST_ID);
    expect(stored.response.body).toEqual({ answer: 'hello', prompt: 'hi' });
  });

  test('record: identical requests get numbered files, which replay answers in order', async () => {
    await inTest(session('record', fakeUpstream('first', 'second')), 'hi', 'hi');
    expect(recordingFiles().map((f) => path.basename(f))).toEqual([expect.stringMatching(/^[0-9a-f]{16}\.2\.json$/), expect.stringMatching(/^[0-9a-f]{16}\.json$/)]);
    const { answers, problems } = await inTest(session('replay'), 'hi', 'hi', 'hi');
    expect(problems).toEqual([]);
    // When they run out, the last one repeats.
    expect(await Promise.all(answers.map(answerOf))).toEqual(['first', 'second', 'second']);
  });

  test('replay: a recorded request is answered from its file without the upstream', async () => {
    await inTest(session('record', fakeUpstream('hello')), 'hi');
    const upstream = fakeUpstream('live');
    const { answers, problems, scope } = await inTest(session('replay', upstream), 'hi');
    expect(problems).toEqual([]);
    expect(upstream.calls).toBe(0);
    expect(await answers[0].json()).toEqual({ answer: 'hello', prompt: 'hi' });
    expect(answers[0].headers.get('x-jest-replay')).toBe('replay');
    expect(scope.replayed).toEqual(recordingFiles());
  });

  test('replay: a request with no recording fails its test, is noted as missed and never reaches the upstream', async () => {
    const upstream = fakeUpstream('live');
    const { answers, problems, scope } = await inTest(session('replay', upstream), 'hi');
    expect(upstream.calls).toBe(0);
    expect(answers[0].ok).toBe(false);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(ReplayError);
    expect(problems[0].message).toContain('no recording for this request');
    expect(problems[0].message).toContain(TEST_ID);
    expect(scope.missed).toEqual([`POST ${URL_}`]);
    expect(recordingFiles()).toEqual([]);
  });

  test('replay: a broken recording fails its test naming the file', async () => {
    await inTest(session('record', fakeUpstream('hello')), 'hi');
    const [file] = recordingFiles();
    fs.writeFileSync(file, '{ "test_id": ');
    const { answers, problems } = await inTest(session('replay'), 'hi');
    expect(answers[0].ok).toBe(false);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(RecordingFileError);
    expect((problems[0] as RecordingFileError).file).toBe(file);
  });

  test.each([
    ['ECONNREFUSED', false],
    ['ENOTFOUND', false],
    ['ECONNRESET', true],
  ])('record: a connection failure %s is rethrown as it came; recorded only if a connection was made (%s)', async (code, recorded) => {
    const live = new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
    const s = session('record', async () => {
      throw live;
    });
    const scope = s.open({ testId: TEST_ID, testPath: 'tests/chat.test.ts' });
    await expect(s.run(scope, () => handled(s, chat('hi')))).rejects.toBe(live);
    expect(await s.close(scope)).toEqual([]);
    expect(recordingFiles()).toHaveLength(recorded ? 1 : 0);
    expect(scope.unreached).toEqual(recorded ? [] : [`POST ${URL_} (${code})`]);
  });

  test("record: fetch's refusal of a port the Fetch standard blocks (no connection made, no error code) is not recorded", async () => {
    // Node's fetch refuses port 9 itself, before any connection: what it throws is the real shape of that error.
    const s = session('record', () => fetch('http://127.0.0.1:9/v1/chat/completions', { method: 'POST' }));
    const scope = s.open({ testId: TEST_ID, testPath: 'tests/chat.test.ts' });
    await expect(s.run(scope, () => handled(s, chat('hi')))).rejects.toThrow('fetch failed');
    expect(await s.close(scope)).toEqual([]);
    expect(recordingFiles()).toEqual([]);
    expect(scope.unreached).toEqual([`POST ${URL_} (bad port)`]);
  });

  test('record-if-missing: replays what exists and records what is missing', async () => {
    await inTest(session('record', fakeUpstream('hello')), 'hi');
    const upstream = fakeUpstream('new');
    const { answers, problems, scope } = await inTest(session('record-if-missing', upstream), 'hi', 'bye');
    expect(problems).toEqual([]);
    expect(upstream.calls).toBe(1);
    expect(await answerOf(answers[0])).toBe('hello');
    expect(await answers[1].json()).toEqual({ answer: 'new', prompt: 'bye' });
    expect(scope.replayed).toHaveLength(1);
    expect(scope.written.map((w) => w.outcome)).toEqual(['created']);
    expect(recordingFiles()).toHaveLength(2);
  });

  test('record: a re-recording deletes nothing itself; its usage notes the mode, for the end of the run (see clean-up.ts)', async () => {
    await inTest(session('record', fakeUpstream('hello')), 'hi', 'bye');
    expect(recordingFiles()).toHaveLength(2);
    const again = session('record', fakeUpstream('hello'));
    await inTest(again, 'hi');
    expect(recordingFiles()).toHaveLength(2);
    expect(again.usage('tests/chat.test.ts').scopes.map((s) => [s.mode, s.status, s.written.length])).toEqual([['record', 'passed', 1]]);
  });

  test('record-if-missing: interactions() lists what the test recorded and replayed, in request order, read from the files', async () => {
    await inTest(session('record', fakeUpstream('hello')), 'bye');
    const s = session('record-if-missing', fakeUpstream('new'));
    const scope = s.open({ testId: TEST_ID, testPath: 'tests/chat.test.ts' });
    for (const prompt of ['hi', 'bye']) await s.run(scope, () => handled(s, chat(prompt)));
    const listed = await s.interactions(scope);
    type Sent = { messages: { content: string }[] };
    const answer = (i: (typeof listed)[number]) => (i.response.body as { answer: string }).answer;
    const summary = listed.map((i) => [i.source, (i.request.body as Sent).messages[0].content, answer(i)]);
    expect(summary).toEqual([
      ['recorded', 'hi', 'new'],
      ['replayed', 'bye', 'hello'],
    ]);
    expect(listed.map((i) => path.join(root, i.file)).sort()).toEqual(recordingFiles());
  });

  test.each<Mode>(['replay', 'record'])('%s: a request from code that outlived its test is refused and reaches nothing', async (mode) => {
    const upstream = fakeUpstream('late');
    const s = session(mode, upstream);
    const scope = s.open({ testId: TEST_ID, testPath: 'tests/chat.test.ts' });
    await s.close(scope);
    const late = await s.run(scope, () => handled(s, chat('hi')));
    expect(late.ok).toBe(false);
    expect(await late.text()).toContain('has already ended');
    const outside = await handled(s, chat('hi'));
    expect(await outside.text()).toContain('outside a running test');
    expect(upstream.calls).toBe(0);
    expect(recordingFiles()).toEqual([]);
  });

  test('every refusal is a 400: outside a test, after its test, a miss, a broken recording, a failing redact', async () => {
    const s = session('replay');
    const scope = s.open({ testId: TEST_ID, testPath: 'tests/chat.test.ts' });
    await s.close(scope);
    const config = resolveConfig({ rootDir: root, env: {} });
    const redacting = new ReplaySession(config, new RecordingStore(config.dir), fakeUpstream(), {
      redact: () => {
        throw new Error('redact failed');
      },
    });
    const refusals = [
      await handled(s, chat('outside')),
      await s.run(scope, () => handled(s, chat('outlived'))),
      (await inTest(session('replay'), 'missing')).answers[0],
      (await inTest(redacting, 'redacted')).answers[0],
    ];
    await inTest(session('record', fakeUpstream('ok')), 'unusable');
    for (const file of recordingFiles()) fs.writeFileSync(file, '{ broken');
    const unusable = await inTest(session('replay'), 'unusable');
    expect(unusable.problems[0]).toBeInstanceOf(RecordingFileError);
    refusals.push(unusable.answers[0]);
    for (const refused of refusals) {
      expect([refused.status, refused.headers.get('x-should-retry')]).toEqual([400, 'false']);
    }
  });

  test('after its test file ended, every request its tests started is refused, noted once, and the file is told', async () => {
    const upstream = fakeUpstream('late');
    const s = session('record', upstream);
    const scope = s.open({ testId: TEST_ID, testPath: 'tests/chat.test.ts' });
    await s.close(scope);
    let told = 0;
    s.end('tests/chat.test.ts', () => told++);
    const refused = [await s.run(scope, () => handled(s, chat('late'))), await s.run(scope, () => handled(s, chat('late')))];
    expect(refused.map((r) => r.status)).toEqual([400, 400]);
    expect(await refused[0].text()).toContain('was made after the test file tests/chat.test.ts ended');
    expect(told).toBe(1);
    expect(s.usage('tests/chat.test.ts').late).toEqual([{ request: `POST ${URL_}`, from: TEST_ID, after: 'file' }]);
    expect(upstream.calls).toBe(0);
    // What the file's code did not start (another part of the process) is left alone.
    expect(s.handles(new URL(URL_))).toBe(false);
    expect(s.run(scope, () => s.handles(new URL(URL_)))).toBe(true);
  });

  test("the next test file's session hands a request the ended file left behind back to that file", async () => {
    const ended = session('replay');
    const scope = ended.open({ testId: TEST_ID, testPath: 'tests/chat.test.ts' });
    await ended.close(scope);
    ended.end('tests/chat.test.ts', () => undefined);
    const next = session('replay');
    const refused = await ended.run(scope, () => (next.handles(new URL(URL_)) ? handled(next, chat('late')) : undefined));
    expect(refused?.status).toBe(400);
    expect(ended.usage('tests/chat.test.ts').late).toHaveLength(1);
    expect(next.usage('tests/next.test.ts').late).toEqual([]);
  });
});
