import type { Recording } from '../../src/core/recording/format';
import { interactionOf } from '../../src/core/session/interaction';

const request = {
  method: 'POST',
  url: 'https://api.example.test/v1/chat/completions',
  headers: { 'content-type': 'application/json' },
  body: { model: 'm' },
  endpoint: '/v1/chat/completions',
  model: 'm',
};
const recording = (response: Recording['response']): Recording => ({ test_id: 't', request, response, id_normalization_mapping: {} });

test('a whole body comes back as plain JSON, with its status and the stored request', () => {
  const typed = { __type__: 'openai.types.chat.chat_completion.ChatCompletion', __data__: { id: 'rec-1', choices: [] } };
  expect(interactionOf(recording({ body: typed, is_streaming: false, status: 201 }), 'replayed', 'recordings/a.json')).toEqual({
    source: 'replayed',
    file: 'recordings/a.json',
    request: { method: 'POST', url: request.url, body: { model: 'm' } },
    response: { status: 201, body: { id: 'rec-1', choices: [] } },
  });
});

test('a stream comes back as its chunks, typed ones unwrapped and raw lines as they are', () => {
  const delta = { choices: [{ delta: { content: 'hi' } }] };
  const chunk = { __type__: 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk', __data__: delta };
  const { response } = interactionOf(recording({ body: [chunk, 'event: ping'], is_streaming: true }), 'recorded', 'f');
  expect(response).toEqual({ status: 200, chunks: [delta, 'event: ping'] });
});

test('a recorded failure says what failed', () => {
  const exception_data = { category: 'network', type: 'APIConnectionError', message: 'ECONNREFUSED' };
  const failure = recording({ body: null, is_streaming: false, is_exception: true, exception_data, exception_message: 'ECONNREFUSED' });
  expect(interactionOf(failure, 'replayed', 'f').response).toEqual({ status: 500, body: null, error: 'ECONNREFUSED' });
});
