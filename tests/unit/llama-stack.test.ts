import { keyOfLlamaStackRecording, wireBody } from '../../src/core/recording/llama-stack';
import type { Recording } from '../../src/core/recording/format';

const recordingOf = (body: unknown): Recording => ({
  test_id: 't.py::test_x',
  request: { method: 'POST', url: 'http://localhost:8000/v1/v1/completions', headers: {}, body, endpoint: '/v1/completions', model: 'm' },
  response: { body: null, is_streaming: false },
  id_normalization_mapping: {},
});

describe('the body the Python SDK sent, from the keyword arguments llama-stack recorded', () => {
  test('extra_body is merged into the body; null or empty adds nothing', () => {
    expect(wireBody({ model: 'm', extra_body: { structured_outputs: { choice: ['a'] } } })).toEqual({ model: 'm', structured_outputs: { choice: ['a'] } });
    expect(wireBody({ model: 'm', extra_body: null })).toEqual({ model: 'm' });
    expect(wireBody({ model: 'm', extra_body: {} })).toEqual({ model: 'm' });
    expect(wireBody({ model: 'm' })).toEqual({ model: 'm' });
  });

  test('an imported recording is keyed as that wire body, so the TypeScript request that sends it finds it', () => {
    const recorded = keyOfLlamaStackRecording(recordingOf({ model: 'm', prompt: 'p', extra_body: { prompt_logprobs: 1 } }));
    expect(recorded.key).toBe(keyOfLlamaStackRecording(recordingOf({ model: 'm', prompt: 'p', prompt_logprobs: 1 })).key);
    expect(recorded.key).not.toBe(keyOfLlamaStackRecording(recordingOf({ model: 'm', prompt: 'p' })).key);
  });
});
