import { keyOfLlamaStackRecording, wireBody } from '../../src/core/recording/llama-stack';
import type { Recording } from '../../src/core/recording/format';
import { ignoreFields } from '../../src/core/keying/match-ignore';
import type { RedactHook } from '../../src/core/keying/redact';
import type { Json } from '../../src/core/util/json';

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

describe("an imported recording under the project's key rules", () => {
  const dropUser = (body: Json) => ignoreFields(body, ['body.user']);
  const hideSession: RedactHook = (request) => ({ ...request, body: JSON.parse(JSON.stringify(request.body).replace(/session-\w+/g, 'session-x')) });

  test('is keyed as the recorder keys the request a TypeScript client sends: normalized, redacted', () => {
    const plain = keyOfLlamaStackRecording(recordingOf({ model: 'm', prompt: 'p' })).key;
    expect(keyOfLlamaStackRecording(recordingOf({ model: 'm', prompt: 'p', user: 'alice' }), { normalize: dropUser }).key).toBe(plain);
    expect(keyOfLlamaStackRecording(recordingOf({ model: 'm', prompt: 'p', user: 'alice' })).key).not.toBe(plain);
    const redacted = keyOfLlamaStackRecording(recordingOf({ model: 'm', prompt: 'session-x' })).key;
    expect(keyOfLlamaStackRecording(recordingOf({ model: 'm', prompt: 'session-abc' }), { redact: hideSession }).key).toBe(redacted);
  });

  test('for another test id when given (what mv re-keys to)', () => {
    const moved = keyOfLlamaStackRecording(recordingOf({ model: 'm', prompt: 'p' }), {}, 't.py::test_y').key;
    expect(moved).toBe(keyOfLlamaStackRecording({ ...recordingOf({ model: 'm', prompt: 'p' }), test_id: 't.py::test_y' }).key);
    expect(moved).not.toBe(keyOfLlamaStackRecording(recordingOf({ model: 'm', prompt: 'p' })).key);
  });
});
