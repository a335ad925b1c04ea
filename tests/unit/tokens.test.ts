import type { Recording } from '../../src/core/recording/format';
import { tokensOf } from '../../src/core/recording/tokens';

const recording = (body: unknown, streaming = false): Recording => ({
  test_id: 't',
  request: { method: 'POST', url: 'http://x/v1/chat/completions', headers: {}, body: {}, endpoint: '/v1/chat/completions', model: 'm' },
  response: { body, is_streaming: streaming },
  id_normalization_mapping: {},
});
const typed = (data: unknown) => ({ __type__: 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk', __data__: data });

describe('tokensOf', () => {
  it('reads a whole response: OpenAI chat and embeddings, the Responses API, Anthropic (cache counts as prompt), Ollama, Gemini', () => {
    const chat = typed({ usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } });
    expect(tokensOf(recording(chat))).toEqual({ prompt: 12, completion: 5 });
    expect(tokensOf(recording(typed({ data: [], usage: { prompt_tokens: 7, total_tokens: 7 } })))).toEqual({ prompt: 7, completion: 0 });
    const response = typed({ object: 'response', usage: { input_tokens: 9, output_tokens: 3 } });
    expect(tokensOf(recording(response))).toEqual({ prompt: 9, completion: 3 });
    const anthropic = { usage: { input_tokens: 4, cache_read_input_tokens: 100, cache_creation_input_tokens: 20, output_tokens: 8 } };
    expect(tokensOf(recording(anthropic))).toEqual({ prompt: 124, completion: 8 });
    expect(tokensOf(recording({ done: true, prompt_eval_count: 26, eval_count: 290 }))).toEqual({ prompt: 26, completion: 290 });
    const gemini = { usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 11 } };
    expect(tokensOf(recording(gemini))).toEqual({ prompt: 3, completion: 11 });
  });

  it('reads none where none is stored: a model list, a chat stream without include_usage, a failure', () => {
    expect(tokensOf(recording([typed({ id: 'gpt-4o' })]))).toBeUndefined();
    expect(tokensOf(recording([typed({ choices: [{ delta: { content: 'hi' } }], usage: null })], true))).toBeUndefined();
    expect(tokensOf(recording({ error: { message: 'rate limited' } }))).toBeUndefined();
  });

  it('reads a stream: the last chunk, the completed event, Anthropic raw lines (message_delta counts up), NDJSON', () => {
    const chunks = [
      typed({ choices: [{ delta: { content: 'hi' } }], usage: null }),
      typed({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 2 } }),
    ];
    expect(tokensOf(recording(chunks, true))).toEqual({ prompt: 12, completion: 2 });
    const events = [
      { __type__: 'x.ResponseCreatedEvent', __data__: { type: 'response.created', response: { usage: null } } },
      {
        __type__: 'x.ResponseCompletedEvent',
        __data__: { type: 'response.completed', response: { usage: { input_tokens: 30, output_tokens: 6 } } },
      },
    ];
    expect(tokensOf(recording(events, true))).toEqual({ prompt: 30, completion: 6 });
    const lines = [
      'event: message_start',
      'data: {"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}',
      'data: {"type":"content_block_delta","delta":{"text":"usage of words"}}',
      'data: {"type":"message_delta","usage":{"output_tokens":15}}',
    ];
    expect(tokensOf(recording(lines, true))).toEqual({ prompt: 25, completion: 15 });
    const ndjson = [{ message: { content: 'a' } }, { done: true, prompt_eval_count: 5, eval_count: 9 }];
    expect(tokensOf(recording(ndjson, true))).toEqual({ prompt: 5, completion: 9 });
  });
});
