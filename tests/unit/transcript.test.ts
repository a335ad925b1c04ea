import { streamTranscript } from '../../src/core/inspect/transcript';

const chunk = (delta: object, index = 0) => ({ __type__: 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk', __data__: { choices: [{ index, delta }] } });

describe('the text a stored stream adds up to', () => {
  test('chat chunks: the first choice, with tool calls assembled from their pieces', () => {
    const body = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'other choice' }, 1),
      chunk({ content: 'lo' }),
      chunk({ tool_calls: [{ index: 0, function: { name: 'get_weather', arguments: '{"ci' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Paris"}' } }] }),
      { __type__: 'x', __data__: { choices: [], usage: { total_tokens: 3 } } },
    ];
    expect(streamTranscript(body)).toEqual({ text: 'Hello', toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] });
  });

  test('legacy completion chunks', () => {
    expect(streamTranscript([{ choices: [{ index: 0, text: 'a' }] }, { choices: [{ index: 0, text: 'b' }] }]).text).toBe('ab');
  });

  test('Responses API events: a function call, whole once its item is done', () => {
    const item = { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'lookup' };
    const body = [
      { type: 'response.output_item.added', output_index: 0, item: { ...item, arguments: '' } },
      { type: 'response.function_call_arguments.delta', output_index: 0, delta: '{"q"' },
      { type: 'response.output_item.done', output_index: 0, item: { ...item, arguments: '{"q":1}' } },
    ];
    expect(streamTranscript(body)).toEqual({ text: '', toolCalls: [{ name: 'lookup', arguments: '{"q":1}' }] });
  });

  test('Responses API events: text deltas only', () => {
    const body = [
      { type: 'response.created', response: {} },
      { type: 'response.output_text.delta', delta: 'Hi ' },
      { type: 'response.output_text.delta', delta: 'there' },
      { type: 'response.output_text.done', text: 'Hi there' },
    ];
    expect(streamTranscript(body).text).toBe('Hi there');
  });

  test('Anthropic raw SSE lines: text deltas and tool input', () => {
    const data = (value: object) => `data: ${JSON.stringify(value)}`;
    const body = [
      'retry: 3000',
      'event: content_block_delta',
      data({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Bon' } }),
      ': a comment',
      data({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'jour' } }),
      data({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', name: 'lookup' } }),
      data({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"q":1}' } }),
      'data: not json',
    ];
    expect(streamTranscript(body)).toEqual({ text: 'Bonjour', toolCalls: [{ name: 'lookup', arguments: '{"q":1}' }] });
  });

  test('Ollama chat and generate pieces', () => {
    expect(streamTranscript([{ __type__: 'ollama._types.ChatResponse', __data__: { message: { role: 'assistant', content: 'o' } } }, { message: { content: 'k' }, done: true }]).text).toBe('ok');
    expect(streamTranscript([{ response: 'g' }, { response: 'o', done: true }]).text).toBe('go');
  });
});
