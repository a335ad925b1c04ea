import { encodeResponse } from '../../src/core/recording/codec';
import { serializeRecording, type StoredResponse } from '../../src/core/recording/format';
import { parseRecording } from '../../src/core/recording/parse';
import { compareResponses } from '../../src/core/drift/compare';
import { resolveDriftOptions, type DriftOptions, withDriftFlags } from '../../src/core/drift/options';
import { ignorePathProblem, isIgnored, joinPath, pathSegments } from '../../src/core/drift/paths';

/**
 * The structural comparison of a drift check, on responses stored as the recorder stores them (the real
 * encoder: typed chunks, raw lines, normalized ids and timestamps), from the bytes a server sends.
 */

let calls = 0;
/**
 * A response as stored, and read back from its file (a stream's chunks as a list): each call gets a key of its own,
 * so its normalized ids differ from another call's.
 */
function stored(body: string, { status = 200, type = 'application/json', endpoint = '/v1/chat/completions' } = {}): StoredResponse {
  const key = (++calls).toString(16).padStart(64, '0');
  const context = { key, endpoint, replacedIds: new Map<string, string>() };
  const response = encodeResponse({ status, headers: new Headers({ 'content-type': type }), body: Buffer.from(body) }, context);
  const request = { method: 'POST', url: `http://127.0.0.1${endpoint}`, headers: {}, body: null, endpoint, model: '' };
  return parseRecording(serializeRecording({ test_id: null, request, response, id_normalization_mapping: {} }), 'stored.json').response;
}
const json = (value: unknown, options?: Parameters<typeof stored>[1]) => stored(JSON.stringify(value), options);
const sse = (events: unknown[], { done = true, named = false } = {}) =>
  stored(
    events.map((e) => `${named ? `event: ${(e as { type: string }).type}\n` : ''}data: ${JSON.stringify(e)}\n\n`).join('') +
      (done ? 'data: [DONE]\n\n' : ''),
    { type: 'text/event-stream' },
  );
const compare = (recorded: StoredResponse, live: StoredResponse, options: DriftOptions = {}) =>
  compareResponses(recorded, live, resolveDriftOptions(options));

const completion = (
  content: string,
  extra: Record<string, unknown> = {},
  usage: Record<string, unknown> = { prompt_tokens: 3, total_tokens: 9 },
) => ({
  id: `chatcmpl-${Math.random().toString(16).slice(2)}`,
  object: 'chat.completion',
  created: Date.now(),
  model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop' }],
  usage,
  ...extra,
});

describe('a JSON answer', () => {
  test('another text, other ids, timestamps and counts: no drift', () => {
    expect(
      compare(json(completion('Paris.')), json(completion('It is Paris, of course.', {}, { prompt_tokens: 4, total_tokens: 30 }))),
    ).toEqual([]);
  });

  test('a status change is the one drift (the error body is another answer, not another shape)', () => {
    expect(compare(json(completion('a')), json({ error: { message: 'gone' } }, { status: 404 }))).toEqual([
      { path: 'status', change: 'status changed: 200 → 404' },
    ]);
  });

  test('a renamed field is one removed and one added, with the path and a value of each; a changed type names both types', () => {
    const live = completion('b', {}, { input_tokens: 3, total_tokens: '9' });
    expect(compare(json(completion('a')), json(live))).toEqual([
      { path: 'body.usage.prompt_tokens', change: 'field removed', recorded: '3' },
      { path: 'body.usage.total_tokens', change: 'type changed: number → string', recorded: '9', live: '"9"' },
      { path: 'body.usage.input_tokens', change: 'field added', live: '3' },
    ]);
  });

  test('arrays by the shape of their elements, not their length; a field an element gains is found at any depth', () => {
    const two = { ...completion('a'), choices: [completion('a').choices[0], { ...completion('b').choices[0], index: 1 }] };
    expect(compare(json(completion('a')), json(two))).toEqual([]);
    const logprobs = { ...completion('a'), choices: [{ ...completion('a').choices[0], logprobs: { content: [] } }] };
    expect(compare(json(completion('a')), json(logprobs))).toEqual([
      { path: 'body.choices[].logprobs', change: 'field added', live: '{"content":[]}' },
    ]);
  });

  test("elements that say what they are (Anthropic's content blocks) are compared kind by kind", () => {
    const message = (content: unknown[]) => ({
      id: 'msg_0123456789',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content,
      stop_reason: 'end_turn',
    });
    const text = (t: string, extra = {}) => ({ type: 'text', text: t, ...extra });
    const endpoint = '/v1/messages';
    expect(compare(json(message([text('a')]), { endpoint }), json(message([text('b'), text('c')]), { endpoint }))).toEqual([]);
    expect(compare(json(message([text('a')]), { endpoint }), json(message([text('b', { citations: [] })]), { endpoint }))).toEqual([
      { path: 'body.content[text].citations', change: 'field added', live: '[]' },
    ]);
  });

  test('an element kind that appears or goes away (a reasoning item before the message of a Responses answer)', () => {
    const message = { type: 'message', id: 'msg_0123456789', role: 'assistant', content: [{ type: 'output_text', text: 'a' }] };
    const response = (output: unknown[]) => ({ id: 'resp_0123456789', object: 'response', model: 'gpt-4o', status: 'completed', output });
    const endpoint = '/v1/responses';
    const reasoning = { type: 'reasoning', id: 'rs_0123456789', summary: [] };
    expect(compare(json(response([message]), { endpoint }), json(response([reasoning, message]), { endpoint }))).toEqual([
      { path: 'body.output[reasoning]', change: 'element kind added' },
    ]);
    expect(compare(json(response([reasoning, message]), { endpoint }), json(response([message]), { endpoint }))).toEqual([
      { path: 'body.output[reasoning]', change: 'element kind removed' },
    ]);
  });

  test("the model the server names, and the API's own names (role, object, type), are not content", () => {
    const live = completion('b', { model: 'gpt-4o-2025-01-01' });
    live.choices[0].message.role = 'model';
    expect(compare(json(completion('a')), json(live))).toEqual([
      { path: 'body.choices[].message.role', change: 'value changed', recorded: '"assistant"', live: '"model"' },
      { path: 'model', change: 'model changed', recorded: '"gpt-4o"', live: '"gpt-4o-2025-01-01"' },
    ]);
  });

  test("a finish reason, Anthropic's stop reason", () => {
    const live = completion('b');
    live.choices[0].finish_reason = 'length';
    expect(compare(json(completion('a')), json(live))).toEqual([
      { path: 'finish_reason', change: 'finish reason changed', recorded: '"stop"', live: '"length"' },
    ]);
    const message = (stop_reason: string) => ({ id: 'msg_0123456789', type: 'message', role: 'assistant', content: [], stop_reason });
    expect(
      compare(json(message('end_turn'), { endpoint: '/v1/messages' }), json(message('max_tokens'), { endpoint: '/v1/messages' })),
    ).toEqual([{ path: 'finish_reason', change: 'finish reason changed', recorded: '"end_turn"', live: '"max_tokens"' }]);
  });

  test('text counts when asked to, shown where it differs; numbers when given a tolerance', () => {
    expect(compare(json(completion('It is Paris.')), json(completion('It is Lyon.')), { text: true })).toEqual([
      { path: 'text', change: 'text changed', recorded: '"It is Paris."', live: '"It is Lyon."' },
    ]);
    const embeddings = (vector: number[]) => ({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: vector }],
      model: 'e',
      usage: { prompt_tokens: 1 },
    });
    const [near, far] = [json(embeddings([0.1, 0.2])), json(embeddings([0.1001, 0.9]), { endpoint: '/v1/embeddings' })];
    expect(compare(near, far)).toEqual([]);
    expect(compare(near, far, { tolerance: 0.01 })).toEqual([
      { path: 'body.data[embedding].embedding[]', change: 'number moved by more than 0.01', recorded: '0.2', live: '0.9' },
    ]);
  });

  test('ignore paths leave drifts out: a field, everything under it, * and **', () => {
    const live = completion('b', { model: 'other' }, { input_tokens: 3, total_tokens: 9 });
    expect(compare(json(completion('a')), json(live), { ignore: ['body.usage', 'model'] })).toEqual([]);
    expect(compare(json(completion('a')), json(live), { ignore: ['body.*.prompt_tokens', '**.input_tokens', 'model'] })).toEqual([]);
    expect(compare(json(completion('a')), json(live), { ignore: ['body.usage.prompt_tokens', 'model'] })).toEqual([
      { path: 'body.usage.input_tokens', change: 'field added', live: '3' },
    ]);
  });
});

describe('framing', () => {
  test('a stream that comes back as JSON, or JSON under another content type', () => {
    const chunk = {
      id: 'chatcmpl-1234567890',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o',
      choices: [{ index: 0, delta: { content: 'a' }, finish_reason: 'stop' }],
    };
    expect(compare(sse([chunk]), json(completion('a')))).toEqual([{ path: 'framing', change: 'framing changed: SSE stream → JSON' }]);
    expect(compare(json(completion('a')), json(completion('a'), { type: 'application/vnd.api+json; charset=utf-8' }))).toEqual([
      { path: 'content-type', change: 'content type changed: application/json → application/vnd.api+json' },
    ]);
  });
});

describe('a stream', () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id: `chatcmpl-${Math.random().toString(16).slice(2)}`,
    object: 'chat.completion.chunk',
    created: Date.now(),
    model: 'gpt-4o',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const chat = (words: string[], finish = 'stop') => [
    chunk({ role: 'assistant', content: '' }),
    ...words.map((w) => chunk({ content: w })),
    chunk({}, finish),
  ];

  test('other text in more chunks: no drift', () => {
    expect(compare(sse(chat(['Par', 'is'])), sse(chat(['It ', 'is ', 'Paris.'])))).toEqual([]);
  });

  test('a missing [DONE] is that drift alone, though the stream is then stored as raw lines; a finish reason', () => {
    expect(compare(sse(chat(['a'])), sse(chat(['b']), { done: false }))).toEqual([
      { path: 'done', change: 'the stream no longer ends with data: [DONE]' },
    ]);
    expect(compare(sse(chat(['a'])), sse(chat(['b'], 'length')))).toEqual([
      { path: 'finish_reason', change: 'finish reason changed', recorded: '"stop"', live: '"length"' },
    ]);
  });

  const responses = (types: string[]) =>
    types.map((type, sequence_number) => ({
      type,
      sequence_number,
      ...(type === 'response.output_text.delta' ? { delta: 'x', item_id: 'msg_0123456789' } : {}),
    }));
  const events = [
    'response.created',
    'response.output_text.delta',
    'response.output_text.delta',
    'response.output_text.done',
    'response.completed',
  ];

  test('an event kind added, or removed, at its path; their order, with repeats collapsed', () => {
    const added = [...events.slice(0, 3), 'response.vendor_note.added', ...events.slice(3)];
    expect(compare(sse(responses(events), { done: false, named: true }), sse(responses(added), { done: false, named: true }))).toEqual([
      { path: 'events[response.vendor_note.added]', change: 'event kind added' },
    ]);
    expect(compare(sse(responses(added), { done: false, named: true }), sse(responses(events), { done: false, named: true }))).toEqual([
      { path: 'events[response.vendor_note.added]', change: 'event kind removed' },
    ]);
    const more = [...events.slice(0, 2), ...events.slice(1)];
    expect(compare(sse(responses(events), { done: false, named: true }), sse(responses(more), { done: false, named: true }))).toEqual([]);
    const swapped = [events[0], events[3], events[1], events[4]];
    expect(compare(sse(responses(events), { done: false, named: true }), sse(responses(swapped), { done: false, named: true }))).toEqual([
      {
        path: 'events',
        change: 'event order changed',
        recorded: '"response.created, response.output_text.delta, response.output_text.done, response.completed"',
        live: '"response.created, response.output_text.done, response.output_text.delta, response.completed"',
      },
    ]);
  });

  test("Anthropic's raw lines: comments, retry: and id: are no events; a ping more or less is no order change; a new kind is", () => {
    const event = (type: string, data: Record<string, unknown> = {}) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const delta = (text: string) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
    const start = event('message_start', { message: { id: 'msg_0123456789', model: 'claude', usage: { input_tokens: 1 } } });
    const stop = [event('message_delta', { delta: { stop_reason: 'end_turn' } }), event('message_stop')];
    const anthropic = (...middle: string[]) =>
      stored(['retry: 3000\n\n', start, ...middle, ...stop].join(''), { type: 'text/event-stream', endpoint: '/v1/messages' });
    const recorded = anthropic(': keep-alive\n\n', event('ping'), delta('Bon'), delta('jour'));
    expect(compare(recorded, anthropic(event('ping'), delta('Hello')))).toEqual([]);
    expect(compare(recorded, anthropic(event('ping'), event('content_block_citation', { index: 0 }), delta('Hi')))).toEqual([
      { path: 'events[content_block_citation]', change: 'event kind added' },
    ]);
  });

  test("each kind's events compared by their merged shape", () => {
    const live = chat(['b']).map((c) => ({ ...c, service_tier: 'default' }));
    expect(compare(sse(chat(['a'])), sse(live))).toEqual([
      { path: 'events[chat.completion.chunk].service_tier', change: 'field added', live: '"default"' },
    ]);
  });
});

describe('tool calls', () => {
  const call = (name: string, args: string) => ({
    id: `call_${Math.random().toString(16).slice(2, 12)}`,
    type: 'function',
    function: { name, arguments: args },
  });
  const withCalls = (...calls: unknown[]) => {
    const body = completion('');
    Object.assign(body.choices[0], {
      message: { role: 'assistant', content: null, refusal: null, tool_calls: calls },
      finish_reason: 'tool_calls',
    });
    return json(body);
  };

  test('other argument values: no drift; a lost key and a new one; arguments that no longer parse', () => {
    expect(compare(withCalls(call('lookup', '{"query":"rain"}')), withCalls(call('lookup', '{"query":"snow"}')))).toEqual([]);
    expect(compare(withCalls(call('lookup', '{"query":"rain"}')), withCalls(call('lookup', '{"q":"rain"}')))).toEqual([
      { path: 'tool_calls[lookup].arguments.query', change: 'field removed', recorded: '"rain"' },
      { path: 'tool_calls[lookup].arguments.q', change: 'field added', live: '"rain"' },
    ]);
    expect(compare(withCalls(call('lookup', '{"query":"rain"}')), withCalls(call('lookup', '{"query":"ra')))).toEqual([
      {
        path: 'tool_calls[lookup].arguments',
        change: 'arguments no longer parse as JSON',
        recorded: '"{\\"query\\":\\"rain\\"}"',
        live: '"{\\"query\\":\\"ra"',
      },
    ]);
  });

  test('a tool no longer called, another tool', () => {
    const answered = json(completion('It rains.'));
    expect(compare(withCalls(call('lookup', '{}')), answered)).toEqual([
      { path: 'body.choices[].message.content', change: 'type changed: null → string', recorded: 'null', live: '"It rains."' },
      { path: 'body.choices[].message.tool_calls', change: 'field removed', recorded: expect.stringMatching(/^\[\{"id":"call_rec-/) },
      { path: 'finish_reason', change: 'finish reason changed', recorded: '"tool_calls"', live: '"stop"' },
      { path: 'tool_calls[lookup]', change: 'tool no longer called' },
    ]);
    expect(compare(withCalls(call('lookup', '{}')), withCalls(call('search', '{}')))).toEqual([
      { path: 'tool_calls[lookup]', change: 'tool no longer called' },
      { path: 'tool_calls[search]', change: 'tool now called' },
    ]);
  });
});

describe('drift options from the command line', () => {
  const configured = resolveDriftOptions({ ignore: ['body.usage'], tolerance: 0.5 });
  test('--ignore adds to the configured paths, --text turns text on, --tolerance replaces the configured one', () => {
    expect(withDriftFlags(configured, {})).toEqual(configured);
    expect(withDriftFlags(configured, { ignore: ['model'], text: true, tolerance: '0' })).toEqual({
      ignore: ['body.usage', 'model'],
      text: true,
      tolerance: 0,
    });
  });
  test.each([
    [{ ignore: ['body..x'] }, '--ignore: "body..x" has an empty segment.'],
    [{ tolerance: '-1' }, '--tolerance: "-1" is not a number >= 0'],
    [{ tolerance: 'much' }, '--tolerance: "much" is not a number >= 0'],
    [{ tolerance: '' }, '--tolerance: "" is not a number >= 0'],
  ])('a bad flag %j is named', (flags, problem) => {
    expect(withDriftFlags(configured, flags)).toBe(problem);
  });
});

describe('drift paths', () => {
  test.each([
    [['body', 'choices', '[]', 'message'], 'body.choices[].message'],
    [['events', '[response.completed]', 'response', 'usage'], 'events[response.completed].response.usage'],
    [['body', 'a.b', 'c'], 'body["a.b"].c'],
    [['tool_calls', '[get.weather]', 'arguments'], 'tool_calls[get.weather].arguments'],
  ])('%j is written %s and read back', (segments, path) => {
    expect(joinPath(segments)).toBe(path);
    expect(pathSegments(path)).toEqual(segments);
  });

  test.each([
    ['', '"" is empty.'],
    ['body..a', '"body..a" has an empty segment.'],
    ['body.a.', '"body.a." has an empty segment.'],
    ['events[x', '"events[x" has a [ without its ].'],
    ['body.**', '"body.**" must not end with ** (end it with a field name or *).'],
  ])('ignore path %j is refused: %s', (path, problem) => {
    expect(ignorePathProblem(path)).toBe(problem);
  });

  test('an ignore path covers what is under it; * is one segment, ** any number (none included)', () => {
    expect(isIgnored('body.usage.prompt_tokens', ['body.usage'])).toBe(true);
    expect(isIgnored('body.choices[].logprobs', ['body.choices.*.logprobs'])).toBe(true);
    expect(isIgnored('body.choices[].logprobs', ['body.**.logprobs'])).toBe(true);
    expect(isIgnored('body.logprobs', ['body.**.logprobs'])).toBe(true);
    expect(isIgnored('events[response.created].response.usage', ['events[response.created]'])).toBe(true);
    expect(isIgnored('body.usage', ['body.usage.prompt_tokens'])).toBe(false);
    expect(isIgnored('model', ['body.model'])).toBe(false);
  });
});
