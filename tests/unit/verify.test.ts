import { serializeRecording, type Recording } from '../../src/core/recording/format';
import type { Json } from '../../src/core/util/json';
import { bodyForKey, requestKey } from '../../src/core/keying/key';
import { modelListDigest } from '../../src/core/recording/model-list';
import { modelListFileName, recordingFileName, testFolder } from '../../src/core/store/paths';
import { verifyRecording } from '../../src/core/inspect/verify';
import { ignoreFields } from '../../src/core/keying/match-ignore';
import type { BodyNormalizer } from '../../src/core/keying/normalizers';
import type { RedactHook } from '../../src/core/keying/redact';

const TEST_ID = 'tests/chat.test.ts::chat::asks';
const URL_ = 'https://api.openai.com/v1/chat/completions';
const BODY = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
const COMPLETION = { __type__: 'openai.types.chat.chat_completion.ChatCompletion', __data__: { id: 'rec-1', object: 'chat.completion', created: 0, model: 'gpt-4o', choices: [] } };

function recording(overrides: Partial<Recording> = {}, response: Partial<Recording['response']> = {}): Recording {
  return {
    test_id: TEST_ID,
    request: { method: 'POST', url: URL_, headers: { 'content-type': 'application/json' }, body: BODY, endpoint: '/v1/chat/completions', model: 'gpt-4o' },
    response: { body: COMPLETION, is_streaming: false, ...response },
    id_normalization_mapping: {},
    ...overrides,
  };
}

const keyOf = (rec: Recording) => requestKey({ method: rec.request.method, url: new URL(rec.request.url), body: bodyForKey({ kind: 'json', value: rec.request.body as Json }), testId: rec.test_id });
/** Where this project writes the recording. */
const placeOf = (rec: Recording, ordinal = 1) => `${testFolder(rec.test_id!)}/${recordingFileName(keyOf(rec), ordinal)}`;
const verify = (rec: Recording, file = placeOf(rec)) => verifyRecording(file, serializeRecording(rec));

describe('a good recording', () => {
  test('has no problems, as first or nth identical request', () => {
    expect(verify(recording())).toEqual([]);
    expect(verify(recording(), placeOf(recording(), 3))).toEqual([]);
  });

  test('a model list in _shared, named by key and model digest', () => {
    const list = recording(
      { test_id: null, request: { method: 'GET', url: 'https://api.openai.com/v1/models', headers: {}, body: null, endpoint: '/v1/models', model: '' } },
      { body: [{ __type__: 'openai.types.model.Model', __data__: { id: 'gpt-4o', object: 'model', created: 1, owned_by: 'openai' } }] },
    );
    expect(verify(list, `_shared/${modelListFileName(keyOf(list), modelListDigest(list))}`)).toEqual([]);
    expect(verify(list, `_shared/${modelListFileName(keyOf(list), '00000000')}`)).toEqual([expect.stringContaining('its name says model digest 00000000, but its models give')]);
  });
});

describe('parse and schema', () => {
  test('truncated JSON', () => {
    expect(verifyRecording(placeOf(recording()), serializeRecording(recording()).slice(0, 100))).toEqual([expect.stringContaining('invalid JSON')]);
  });

  test.each([
    ['openai.types.chat.NoSuchThing', 'the openai package has no such class (its classes live in a module named after them: no_such_thing.NoSuchThing)'],
    ['banana', 'it is not a Python class path (package.module.Class)'],
    [42, 'it is not a Python class path'],
  ])('an unknown __type__ %j', (type, problem) => {
    const [found] = verify(recording({}, { body: { ...COMPLETION, __type__: type } }));
    expect(found).toContain(`unknown "__type__" ${JSON.stringify(type)} at response.body: ${problem}`);
  });

  test('a stream chunk with a __type__ but no __data__', () => {
    expect(verify(recording({}, { is_streaming: true, body: [COMPLETION, { __type__: COMPLETION.__type__ }] }))).toEqual(['response.body[1] has a "__type__" but no "__data__"']);
  });

  test('a schema mismatch', () => {
    const text = serializeRecording(recording()).replace('"is_streaming": false', '"is_streaming": "no"');
    expect(verifyRecording(placeOf(recording()), text)).toEqual(['"response.is_streaming" must be true or false']);
  });

  test('an id_normalization_mapping to an empty id', () => {
    expect(verify(recording({ id_normalization_mapping: { X: '' } }))).toEqual([
      '"id_normalization_mapping" must map each normalized id to the non-empty id it replaces, got "X": ""',
    ]);
  });

  test('headers that are not strings', () => {
    expect(verify(recording({}, { headers: { 'retry-after': 5 } as never }))).toEqual(['"response.headers" must be an object of strings']);
  });
});

describe('responses no fetch Response can carry', () => {
  test.each([
    [{ status: 999 }, '"response.status" 999 cannot be replayed: a fetch Response has a status from 200 to 599'],
    [{ status: 101 }, '"response.status" 101 cannot be replayed: a fetch Response has a status from 200 to 599'],
    [{ headers: { 'x-note': 'one\ntwo' } }, '"response.headers" has "x-note": "one\\ntwo", which no HTTP response can carry'],
    [{ headers: { 'bad name': 'v' } }, '"response.headers" has "bad name": "v", which no HTTP response can carry'],
  ])('%j', (response, problem) => {
    expect(verify(recording({}, response))).toEqual([`cannot be replayed: ${problem}`]);
  });
});

describe('name and folder against content', () => {
  test('a hand-edited request no longer matches its file name', () => {
    const edited = recording({ request: { ...recording().request, body: { ...BODY, model: 'gpt-4o-mini' } } });
    expect(verify(edited, placeOf(recording()))).toEqual([expect.stringMatching(/^its name says key [0-9a-f]{16}, but its request keys to [0-9a-f]{16} .*replay would never use it$/)]);
  });

  test('a file moved to another test folder', () => {
    const rec = recording();
    const [problem] = verify(rec, placeOf(rec).replace(/^tests\/chat\.test\.ts\//, 'tests/other.test.ts/'));
    expect(problem).toContain(`but its test_id "${TEST_ID}" is looked up in ${testFolder(TEST_ID)}/`);
  });

  test('a name that is no recording name', () => {
    expect(verify(recording(), `${testFolder(TEST_ID)}/copy of recording.json`)).toEqual([expect.stringContaining('not a recording name')]);
  });
});

describe('credentials', () => {
  test.each([
    ['an OpenAI key in a body', recording({}, { body: { note: 'sk-abcdefghijklmnop1234' } }), 'an API key ("sk-…") on line'],
    ['a bearer token', recording({}, { body: { note: 'Bearer abcdef123456789' } }), 'a bearer token ("Bearer …")'],
    ['an authorization header', recording({ request: { ...recording().request, headers: { authorization: 'x' } } }), 'a credential header "authorization"'],
  ])('%s', (_what, rec, problem) => {
    const problems = verify(rec);
    expect(problems).toEqual([expect.stringContaining(`looks like it holds a credential: ${problem}`)]);
    expect(problems.join('\n')).not.toMatch(/sk-abc|abcdef123/);
  });

  // Each value is made here from parts, so no whole key-shaped literal sits in the source.
  test.each([
    ['an Anthropic key', ['sk-ant-', 'api03-', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3'], 'an Anthropic key ("sk-ant-…")'],
    ['an OpenAI project key', ['sk-proj-', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3'], 'an OpenAI project key ("sk-proj-…")'],
    ['a Stripe-style secret key', ['sk_', 'test_', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3'], 'a secret key ("sk_…")'],
    ['an xAI key', ['xai-', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1'], 'an xAI key ("xai-…")'],
    ['a Groq key', ['gsk_', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1'], 'a Groq key ("gsk_…")'],
    ['a Hugging Face token', ['hf_', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0'], 'a Hugging Face token ("hf_…")'],
    ['a GitHub token', ['ghp_', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0Ed9Cb'], 'a GitHub token ("ghp_…")'],
    ['a fine-grained GitHub token', ['github_pat_', '11ABCDEFG0', '_Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2J'], 'a GitHub token ("github_pat_…")'],
    ['an AWS access key id', ['AKIA', 'IOSFODNN7EXAMPLE'], 'an AWS access key id ("AKIA…")'],
    ['a Google API key', ['AIza', 'SyZx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0'], 'a Google API key ("AIza…")'],
    ['a lower-case bearer token', ['bearer ', 'Zx9Yw8Vu7Ts6'], 'a bearer token ("Bearer …")'],
    ['a JWT', ['eyJhbGciOiJIUzI1NiJ9', '.eyJzdWIiOiIxMjM0NTY3ODkwIn0', '.dozjgNryP4J3jVmNHl0w5N_X'], 'a JSON Web Token ("eyJ….eyJ…")'],
  ])('%s in a response', (_what, parts, problem) => {
    const value = parts.join('');
    const problems = verify(recording({}, { body: { ...COMPLETION, __data__: { ...COMPLETION.__data__, model: `echo ${value}` } } }));
    expect(problems).toEqual([expect.stringContaining(`looks like it holds a credential: ${problem} on line`)]);
    expect(problems.join('\n')).not.toContain(value.slice(-8));
  });

  test('words that only start like a key are no credential', () => {
    const text = 'the task-scheduler-component_name, sk_learn_model_parameter_set, Bearer authentication, desk-organizer-and-lamp-combo';
    expect(verify(recording({}, { body: { ...COMPLETION, __data__: { ...COMPLETION.__data__, model: text } } }))).toEqual([]);
  });

  test.each(['api_key', 'subscription-key', 'x-api-key', 'code', 'openai_api_key', 'auth_token'])('credentials in the stored URL: ?%s=', (name) => {
    const rec = recording({ request: { ...recording().request, url: `${URL_}?${name}=abc` } });
    expect(verify(rec, placeOf(recording()))).toContain('"request.url" holds credentials (user:password@, or a key, token or signature parameter)');
  });

  test('a credential field of the stored body (an older recording, another tool): named, never its value', () => {
    const rec = recording({ request: { ...recording().request, body: { ...BODY, tool: { api_key: 'tvly-stored-0123' }, password: 'hunter2222' } } });
    expect(verify(rec)).toEqual([
      'request.body holds a credential: its body field api_key (jest-replay stores "<redacted>" in its place)',
      'request.body holds a credential: its body field password (jest-replay stores "<redacted>" in its place)',
    ]);
  });

  test('body fields the recorder replaced are no credential, even named as a header', () => {
    expect(verify(recording({ request: { ...recording().request, body: { ...BODY, apikey: '<redacted>', authorization: '<redacted>' } } }))).toEqual([]);
  });

  test('found even in a file that does not parse', () => {
    expect(verifyRecording('x.json', '{"request": {"headers": {"x-api-key": "abc"')).toEqual([expect.stringContaining('invalid JSON'), 'looks like it holds a credential: a credential header "x-api-key" on line 1']);
  });
});

describe('key shapes split across the items of a stream', () => {
  const CHUNK = 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk';
  const delta = (value: object) => ({
    __type__: CHUNK,
    __data__: { id: 'rec-1', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o', choices: [{ index: 0, delta: value }] },
  });
  const call = (index: number, args: string) => delta({ tool_calls: [{ index, function: { arguments: args } }] });
  const streamed = (body: unknown[]) => verify(recording({}, { is_streaming: true, body }));
  // Made from parts, so no whole key-shaped literal sits in the source.
  const key = ['sk-proj-', 'Zx9Yw8Vu7Ts6', 'Rq5Po4Nm3Lk2Jh1'].join('');
  const [head, rest] = [key.slice(0, 12), key.slice(12)];

  test.each([
    ['a text delta', [delta({ content: `echo ${head}` }), delta({ content: rest })], 'response.body[0..1]'],
    ['reasoning, then content', [delta({ reasoning_content: head }), delta({ content: rest })], 'response.body[0..1]'],
    ['interleaved tool calls', [call(0, head), call(1, '{}'), call(0, rest)], 'response.body[0..2]'],
    ['raw SSE data lines', [`data: ${JSON.stringify({ output: head })}`, '', `data: ${JSON.stringify({ output: rest })}`], 'response.body[0..2]'],
    // Named from the item it starts in to the one that completes its shape (`sk-proj-` and 16 more).
    ['over many items, one character each', [delta({ content: 'x '.repeat(300) }), ...[...key].map((c) => delta({ content: c }))], 'response.body[1..24]'],
  ])('%s: named once, with the items, never the value', (_layout, body, where) => {
    const problems = streamed(body);
    expect(problems).toEqual([`looks like it holds a credential: an OpenAI project key ("sk-proj-…") split across ${where} (stream text)`]);
    expect(problems.join('\n')).not.toContain(rest.slice(-6));
  });

  test('a JSON Web Token split at its dot', () => {
    const jwt = ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', '.eyJzdWIiOiIxMjM0NTY3ODkwIn0'];
    expect(streamed([delta({ content: jwt[0] }), delta({ content: jwt[1] })])).toEqual([
      'looks like it holds a credential: a JSON Web Token ("eyJ….eyJ…") split across response.body[0..1] (stream text)',
    ]);
  });

  test('a key whole in one item is reported once, by its line', () => {
    const once = /^looks like it holds a credential: an OpenAI project key \("sk-proj-…"\) on line \d+$/;
    expect(streamed([delta({ content: key })])).toEqual([expect.stringMatching(once)]);
  });

  test('words whose joined end only looks like a key start are no credential', () => {
    // "task-" + "…" joined reads "sk-…" only without the word it belongs to.
    expect(streamed([delta({ content: 'a long task-' }), delta({ content: 'scheduler0component1name2' })])).toEqual([]);
    // Only the end of a long text is kept: there "eyJ…" starts the text, though in the stream it follows an "x".
    expect(streamed([delta({ content: `xeyJ${'a'.repeat(253)}` }), delta({ content: '.eyJbbbbbbbbbb' })])).toEqual([]);
  });
});

describe("the project's key rules", () => {
  /** What the recorder does with `matchIgnore: ['body.user']` and a redact hook that hides session ids. */
  const ignoreUser: BodyNormalizer = (body) => ignoreFields(body, ['body.user']);
  const redact: RedactHook = (request) => ({ ...request, body: JSON.parse(JSON.stringify(request.body).replace(/session-\w+/g, 'session-x')) });
  const keyedAs = (rec: Recording, body: Json) =>
    `${testFolder(rec.test_id!)}/${recordingFileName(requestKey({ method: 'POST', url: new URL(URL_), body, testId: rec.test_id }), 1)}`;

  test('a file keyed without a configured field passes only under the same rules', () => {
    const rec = recording({ request: { ...recording().request, body: { ...BODY, user: 'alice' } } });
    const file = keyedAs(rec, BODY);
    expect(verifyRecording(file, serializeRecording(rec), { normalize: ignoreUser })).toEqual([]);
    expect(verifyRecording(file, serializeRecording(rec))).toEqual([expect.stringContaining('its name says key')]);
  });

  test("a test's own match_ignore paths, stored in its file, key it without any rule given", () => {
    const rec = recording({ match_ignore: ['body.user'], request: { ...recording().request, body: { ...BODY, user: 'alice' } } });
    expect(verifyRecording(keyedAs(rec, BODY), serializeRecording(rec))).toEqual([]);
    expect(verify(rec, keyedAs(rec, { ...BODY, user: 'alice' }))).toEqual([expect.stringContaining('its name says key')]);
  });

  test('the redact hook runs on the stored request, as on a live one: a file recorded before the hook was added is named', () => {
    const redacted = recording({ request: { ...recording().request, body: { ...BODY, user: 'session-x' } } });
    expect(verifyRecording(keyedAs(redacted, { ...BODY, user: 'session-x' }), serializeRecording(redacted), { redact })).toEqual([]);
    const before = recording({ request: { ...recording().request, body: { ...BODY, user: 'session-abc' } } });
    const file = keyedAs(before, { ...BODY, user: 'session-abc' });
    expect(verifyRecording(file, serializeRecording(before))).toEqual([]);
    expect(verifyRecording(file, serializeRecording(before), { redact })).toEqual([expect.stringContaining('its name says key')]);
  });

  test('a hook that throws on a stored request is a problem of that file, not a crash', () => {
    const failing: RedactHook = () => {
      throw new Error('boom');
    };
    expect(verifyRecording(placeOf(recording()), serializeRecording(recording()), { redact: failing })).toEqual(['its key cannot be computed: boom']);
  });

  test('a match_ignore that is not a list of valid paths is a broken file', () => {
    const text = (value: unknown) => serializeRecording(recording()).replace('"request"', `"match_ignore": ${JSON.stringify(value)},\n  "request"`);
    expect(verifyRecording(placeOf(recording()), text('body.user'))).toEqual(['"match_ignore" must be a list of paths like "body.user"']);
    expect(verifyRecording(placeOf(recording()), text(['user']))).toEqual([expect.stringMatching(/^"match_ignore": "user" must start with "body\."/)]);
  });
});
