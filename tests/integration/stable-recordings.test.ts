import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, type JestRun, statusOf } from '../support/fixture';
import { llamaStackLoaderProblems } from '../support/llama-stack-loader';
import { startUpstream } from '../support/upstream';

/**
 * Issue 17's promise: re-recording identical traffic changes no byte, even when the server mints new
 * ids and timestamps on every call and the app sends ids back (tool round trips). The suite is
 * recorded, committed, recorded again, then replayed with the server stopped.
 */
const DEAD_BASE = 'http://127.0.0.1:9/v1';
// The app's own `metadata.sent_at` is pinned where it is keyed and stored: the project's redact hook.
const REDACT = `module.exports = ({ method, url, body }) => ({ method, url, body: body && body.metadata && body.metadata.sent_at
  ? { ...body, metadata: { ...body.metadata, sent_at: '<sent_at>' } } : body });
`;

describe('stable recordings: record twice, nothing changes; replay offline', () => {
  const project = new FixtureProject(
    'stable',
    {
      'tests/agents.test.js': fs.readFileSync(path.join(__dirname, 'fixtures', 'agents.test.js'), 'utf8'),
      'redact.js': REDACT,
      '.gitignore': 'node_modules\nresults-*.json\nout-*\n',
    },
    { testEnvironmentOptions: { replay: { redact: '<rootDir>/redact.js' } } },
  );
  const out = (name: string) => path.join(project.dir, `out-${name}`);
  const git = (...args: string[]) =>
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd: project.dir,
      encoding: 'utf8',
    }).stdout;
  const saved = (run: string, name: string) => JSON.parse(fs.readFileSync(path.join(out(run), `${name}.json`), 'utf8'));
  const recordings = () => project.files().map((file) => ({ file, data: JSON.parse(project.read(`recordings/${file}`)) }));
  const recordingsOf = (test: string) => recordings().filter(({ data }) => data.test_id === `tests/agents.test.js::${test}`);
  let first: JestRun;
  let second: JestRun;
  let replayed: JestRun;
  let status: string;
  let diff: { code: number | null; stdout: string };
  let committed: Record<string, string>;

  beforeAll(async () => {
    for (const name of ['first', 'second', 'replay']) fs.mkdirSync(out(name));
    const upstream = await startUpstream();
    try {
      first = await project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, OUT_DIR: out('first') });
      git('init', '-q');
      git('add', '-A');
      git('commit', '-q', '-m', 'recorded');
      committed = project.snapshot();
      second = await project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, OUT_DIR: out('second') });
      status = git('status', '--porcelain');
      diff = await project.cli(['diff']);
    } finally {
      await upstream.close();
    }
    replayed = await project.run({ UPSTREAM_BASE: DEAD_BASE, OUT_DIR: out('replay') });
  });
  afterAll(() => process.env.KEEP_FIXTURES || project.remove());

  test('the second record run changes no file: git status is empty, jest-replay diff says no changes', () => {
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(Object.values(statusOf(second))).toEqual(Array(6).fill('passed'));
    expect(status).toBe('');
    expect(project.snapshot()).toEqual(committed);
    expect(diff).toMatchObject({ code: 0, stdout: 'no changes: no recording differs from HEAD\n' });
    expect(second.stderr).toMatch(/jest-replay: record mode — 0 replayed, 12 recorded, 0 missing, 0 unused/);
    expect(second.stderr).not.toMatch(/^ {2}(new|changed|deleted) /m);
  });

  test('server-minted ids are stored from the key and their position, keeping their prefix; echoed ids are stored alike', () => {
    const stored = (id: string) => new RegExp(`^${id}rec-[0-9a-f]{12}-\\d+$`);
    const [ask, answer] = recordingsOf('chat stream with a tool round trip')
      .map(({ data }) => data)
      .sort((a) => (a.request.body.tools && !a.request.body.messages[1] ? -1 : 1));
    const callId = ask.response.body.find(
      (chunk: { __data__: { choices: { delta: { tool_calls?: { id?: string }[] } }[] } }) =>
        chunk.__data__.choices[0]?.delta.tool_calls?.[0]?.id,
    ).__data__.choices[0].delta.tool_calls[0].id;
    expect(callId).toMatch(stored('call_'));
    expect(ask.response.body[0].__data__.id).toMatch(/^rec-[0-9a-f]{12}$/);
    expect(ask.request.body.metadata).toEqual({ sent_at: '<sent_at>' });
    expect(answer.request.body.messages[1].tool_calls[0].id).toBe(callId);
    expect(answer.request.body.messages[2].tool_call_id).toBe(callId);

    const [responses, followUp] = recordingsOf('responses with a function call round trip')
      .map(({ data }) => data)
      .filter((data) => !data.response.is_streaming)
      .sort((a) => (a.request.body.previous_response_id ? 1 : -1));
    const item = responses.response.body.__data__.output[0];
    expect([item.id, item.call_id]).toEqual([expect.stringMatching(stored('fc_')), expect.stringMatching(stored('call_'))]);
    expect(responses.response.body.__data__.created_at).toBe(0);
    expect(followUp.request.body.previous_response_id).toBe(responses.response.body.__data__.id);
    expect(followUp.request.body.input[0].call_id).toBe(item.call_id);
    expect(followUp.response.body.__data__.previous_response_id).toBe(responses.response.body.__data__.id);

    const anthropic = recordingsOf('anthropic tool use round trip').map(({ data }) => data);
    const stream = anthropic.find((data) => data.response.is_streaming);
    const toolUse = /"id":"(toolu_[^"]+)"/.exec(stream.response.body.join('\n'))![1];
    expect(toolUse).toMatch(stored('toolu_'));
    expect(stream.response.body.join('\n')).toMatch(/"id":"msg_rec-[0-9a-f]{12}-1"/);
    expect(stream.response.body).toContain('data: {"type": "ping"}');
    const roundTrip = anthropic.find((data) => !data.response.is_streaming);
    expect(roundTrip.request.body.messages[2].content[0].tool_use_id).toBe(toolUse);

    const [moderation] = recordingsOf('moderation and embeddings').filter(({ data }) => data.request.endpoint === '/v1/moderations');
    expect(moderation.data.response.body.id).toMatch(stored('modr-'));
  });

  test('replay serves the suite with the server stopped; the app sees the stored ids', () => {
    expect(Object.values(statusOf(replayed))).toEqual(Array(6).fill('passed'));
    expect(replayed.code).toBe(0);
    expect(saved('replay', 'chat').callId).toMatch(/^call_rec-/);
    expect(saved('replay', 'chat')).toEqual({ ...saved('first', 'chat'), callId: saved('replay', 'chat').callId });
    expect(saved('replay', 'anthropic').ids).toEqual([
      expect.stringMatching(/^msg_rec-/),
      expect.stringMatching(/^toolu_rec-/),
      expect.stringMatching(/^msg_rec-/),
    ]);
    const [firstId, , , , previous] = saved('replay', 'responses').ids;
    expect(previous).toBe(firstId);
    expect(saved('replay', 'moderation')).toEqual({ ...saved('first', 'moderation'), id: expect.stringMatching(/^modr-rec-/) });
    expect(project.snapshot()).toEqual(committed);
  });

  test("llama-stack's loader reads every file", () => {
    for (const { file } of recordings()) expect([file, llamaStackLoaderProblems(project.read(`recordings/${file}`))]).toEqual([file, []]);
  });

  test('a Responses stream with reasoning, annotation and unknown events is stored typed, and replays exactly (#23)', () => {
    const [{ data }] = recordingsOf('responses reasoning stream');
    const types = data.response.body.map((event: { __type__?: string }) => event.__type__);
    expect(types.every((type: unknown) => typeof type === 'string')).toBe(true);
    expect(types).toEqual(
      expect.arrayContaining([
        'openai.types.responses.response_reasoning_summary_text_delta_event.ResponseReasoningSummaryTextDeltaEvent',
        'openai.types.responses.response_output_text_annotation_added_event.ResponseOutputTextAnnotationAddedEvent',
        'openai.BaseModel',
      ]),
    );
    expect(saved('replay', 'reasoning')).toEqual(saved('first', 'reasoning'));
    expect(saved('first', 'reasoning').map(([type]: [string]) => type)).toContain('response.vendor_note.added');
  });
});
