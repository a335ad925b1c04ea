import { applyBeforeRecord, type BeforeRecordHook } from '../../src/core/recording/before-record';
import type { StoredResponse } from '../../src/core/recording/format';

const REQUEST = { method: 'POST', url: 'http://127.0.0.1/v1/chat/completions', body: { model: 'gpt-4o' } };
const MODEL = 'openai.types.model.Model';
const apply = (hook: BeforeRecordHook, stored: StoredResponse) => applyBeforeRecord(hook, 'hook.js', stored, REQUEST);

describe('applyBeforeRecord', () => {
  test('a model list is given as the client reads it, and stored as typed models again', () => {
    const stored: StoredResponse = { body: [{ __type__: MODEL, __data__: { id: 'a', object: 'model' } }], is_streaming: false };
    const out = apply((response) => {
      expect(response.body).toEqual({ object: 'list', data: [{ id: 'a', object: 'model' }] });
      (response.body as { data: unknown[] }).data.push({ id: 'b', object: 'model' });
      return response;
    }, stored);
    expect(out.body).toEqual([
      { __type__: MODEL, __data__: { id: 'a', object: 'model' } },
      { __type__: MODEL, __data__: { id: 'b', object: 'model' } },
    ]);
  });

  test('bytes are given as a Buffer and stored as base64; status and headers are the ones returned', () => {
    const stored: StoredResponse = {
      body: { __bytes_base64__: Buffer.from('abc').toString('base64') },
      is_streaming: false,
      headers: { 'retry-after': '1' },
    };
    const out = apply(
      (response) => ({ status: 203, headers: {}, body: Buffer.concat([response.body as Buffer, Buffer.from('d')]) }),
      stored,
    );
    expect(out).toEqual({ body: { __bytes_base64__: Buffer.from('abcd').toString('base64') }, is_streaming: false, status: 203 });
  });

  test('a raw stream: only the data lines are events; a line the hook leaves alone keeps its bytes', () => {
    const stored: StoredResponse = {
      body: ['event: ping', 'data: {"type": "ping"}', '', 'data: not json', 'data: {"n": 1}'],
      is_streaming: true,
    };
    const out = apply((response) => {
      expect(response.events).toEqual([{ type: 'ping' }, 'not json', { n: 1 }]);
      return { ...response, events: [{ type: 'ping' }, 'NOT JSON', { n: 2 }] };
    }, stored);
    expect(out.body).toEqual(['event: ping', 'data: {"type": "ping"}', '', 'data: NOT JSON', 'data: {"n":2}']);
  });

  test('nonsense is refused naming the module; a transport failure is stored without calling the hook', () => {
    const stream: StoredResponse = { body: ['data: {"n": 1}'], is_streaming: true };
    expect(() => apply((response) => ({ ...response, events: [] }), stream)).toThrow(
      `jest-replay: the beforeRecord hook hook.js must return the stream's 1 events as "events", one for each (for POST ${REQUEST.url}). Nothing was written`,
    );
    const json: StoredResponse = { body: { a: 1 }, is_streaming: false };
    expect(() => apply((response) => ({ ...response, status: 700 }), json)).toThrow(
      'returned status 700: it must be an integer from 200 to 599',
    );
    expect(() => apply(() => undefined as never, json)).toThrow('returned undefined, not the response');
    expect(() => apply((response) => ({ ...response, body: { big: 1n } }), json)).toThrow('returned a body that cannot be stored');
    const failure: StoredResponse = { body: null, is_streaming: false, is_exception: true, exception_data: { type: 'APIConnectionError' } };
    expect(
      apply(() => {
        throw new Error('never called');
      }, failure),
    ).toBe(failure);
  });
});
