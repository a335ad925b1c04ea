import { createHash } from 'node:crypto';
import { EPOCH_TEXT, mintsIds, stringsIn, VolatileFields } from '../../src/core/recording/volatile';

const KEY = createHash('sha256').update('volatile test key').digest('hex');
const K = KEY.slice(0, 12);

const fields = (replacedIds = new Map<string, string>(), extra: { ordinal?: number; sent?: Set<string> } = {}) =>
  new VolatileFields({ key: KEY, replacedIds, ...extra });

describe('VolatileFields: ids the server mints', () => {
  test('a typed object: its own id becomes rec-<key12>, nested ids <prefix>rec-<key12>-<n> in order of first appearance', () => {
    const completion = {
      id: 'chatcmpl-AbCdEf123456',
      object: 'chat.completion',
      created: 1731000000,
      choices: [
        {
          index: 0,
          message: {
            tool_calls: [
              { id: 'call_4f8b0000aaaa', type: 'function', function: { name: 'a', arguments: '{}' } },
              { id: 'call_f9920000bbbb', type: 'function', function: { name: 'b', arguments: '{}' } },
            ],
          },
        },
      ],
    };
    const volatile = fields();
    const out = volatile.typed(completion) as typeof completion;
    expect(out.id).toBe(`rec-${K}`);
    expect(out.created).toBe(0);
    expect(out.choices[0].message.tool_calls.map((call) => call.id)).toEqual([`call_rec-${K}-1`, `call_rec-${K}-2`]);
    expect(out.choices[0].message.tool_calls[0].function).toEqual({ name: 'a', arguments: '{}' });
    // The same response walked again (a stream's chunks are made anew on every read) gives the same result.
    expect(volatile.typed(completion)).toEqual(out);
  });

  test('the same id anywhere in a response has one stored form; every id field counts; prefixes are kept', () => {
    const item = { type: 'function_call', id: 'fc_0123456789abcdef', call_id: 'call_0123456789ab', name: 'get' };
    const events = [
      { type: 'response.created', response: { id: 'resp_0123456789abcdef', created_at: 1731000000, output: [] } },
      { type: 'response.output_item.added', item },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_0123456789abcdef', delta: '{' },
      { type: 'response.completed', response: { id: 'resp_0123456789abcdef', output: [item], completed_at: 1731000002 } },
    ];
    const volatile = fields();
    const out = events.map((event) => volatile.json(event)) as Record<string, Record<string, unknown>>[];
    expect(out[0].response).toEqual({ id: `resp_rec-${K}-1`, created_at: 0, output: [] });
    expect(out[1].item).toEqual({ ...item, id: `fc_rec-${K}-2`, call_id: `call_rec-${K}-3` });
    expect(out[2].item_id).toBe(`fc_rec-${K}-2`);
    expect(out[3].response).toEqual({ id: `resp_rec-${K}-1`, output: [out[1].item], completed_at: 0 });
    expect(fields().json({ id: 'modr-0123456789ab', request_id: 'req_0123456789ab', tool_use_id: 'toolu_0123456789' })).toEqual({
      id: `modr-rec-${K}-1`,
      request_id: `req_rec-${K}-2`,
      tool_use_id: `toolu_rec-${K}-3`,
    });
  });

  test('a repeated identical request (ordinal 2) gets its own ids', () => {
    expect(fields(new Map(), { ordinal: 2 }).json({ id: 'msg_0123456789ab' })).toEqual({ id: `msg_rec-${K}-2-1` });
  });

  test('ids the test file already knows keep their stored form, in any field; commit makes new ones known', () => {
    const replacedIds = new Map([['resp_earlier000000', 'rec-aaaaaaaaaaaa']]);
    const volatile = fields(replacedIds);
    expect(volatile.json({ previous_response_id: 'resp_earlier000000', note: 'resp_earlier000000', id: 'resp_new00000000000' })).toEqual({
      previous_response_id: 'rec-aaaaaaaaaaaa',
      note: 'rec-aaaaaaaaaaaa',
      id: `resp_rec-${K}-1`,
    });
    expect(replacedIds.has('resp_new00000000000')).toBe(false);
    volatile.commit();
    expect(replacedIds.get('resp_new00000000000')).toBe(`resp_rec-${K}-1`);
  });

  test('kept as they came: what the request sent, ids shorter than 8 characters, model objects, other fields', () => {
    const sent = stringsIn({ metadata: { id: 'user-0123456789' }, input: ['x'] });
    expect(fields(new Map(), { sent }).json({ metadata: { id: 'user-0123456789' }, id: 'x-1', name: 'call_0123456789ab' })).toEqual({
      metadata: { id: 'user-0123456789' },
      id: 'x-1',
      name: 'call_0123456789ab',
    });
    const model = { id: 'gpt-4o-2024-08-06', object: 'model', created: 1715367049, owned_by: 'system' };
    expect(fields().typed(model)).toBe(model);
    expect(fields().json({ data: [model] })).toEqual({ data: [model] });
  });
});

describe('VolatileFields: timestamps', () => {
  test('numbers become 0, dates the epoch; other text and other numbers stay', () => {
    const value = {
      created_at: 1731000000,
      expires_at: '2025-01-02T03:04:05.678Z',
      completed_at: 'soon',
      nested: [{ created: 5 }],
      usage: { total_tokens: 9 },
    };
    expect(fields().json(value)).toEqual({
      created_at: 0,
      expires_at: EPOCH_TEXT,
      completed_at: 'soon',
      nested: [{ created: 0 }],
      usage: { total_tokens: 9 },
    });
  });

  test('a typed Ollama object: created_at and its durations', () => {
    expect(fields().typed({ model: 'llama3', created_at: '2024-10-01T12:00:00.123456789Z', total_duration: 123, done: true })).toEqual({
      model: 'llama3',
      created_at: EPOCH_TEXT,
      total_duration: 0,
      done: true,
    });
  });
});

describe('VolatileFields: a raw SSE line', () => {
  test("ids and timestamps are replaced in the line's text; every other byte, spacing included, is kept", () => {
    const volatile = fields();
    const line = 'data: {"type": "message_start", "message": {"id": "msg_0123456789ab", "created_at" : 1731000000, "n": 1731000000}}';
    expect(volatile.line(line)).toBe(
      `data: {"type": "message_start", "message": {"id": "msg_rec-${K}-1", "created_at" : 0, "n": 1731000000}}`,
    );
    expect(volatile.line('data: {"type": "ping"}')).toBe('data: {"type": "ping"}');
    for (const other of ['event: message_start', '', ': comment', 'id: msg_0123456789ab', 'data: not json', 'data: [DONE]'])
      expect(volatile.line(other)).toBe(other);
  });
});

describe('mintsIds: which endpoints answer with ids made per call', () => {
  test('the LLM APIs (OpenAI-compatible, Anthropic, Ollama) under any prefix; not other APIs', () => {
    for (const endpoint of ['/v1/chat/completions', '/openai/deployments/gpt/chat/completions', '/v1/responses', '/v1/responses/resp_1/input_items', '/v1/messages', '/v1/moderations', '/api/chat']) {
      expect([endpoint, mintsIds(endpoint)]).toEqual([endpoint, true]);
    }
    for (const endpoint of ['/v1/customers/cus_1', '/v1/users/me', '/v1/files', '/v1/messages/count_tokens']) expect([endpoint, mintsIds(endpoint)]).toEqual([endpoint, false]);
  });
});
