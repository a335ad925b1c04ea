import OpenAI from 'openai';
import { setTestId } from 'jest-replay';
import request from './boiling-point.request.json';

// Replays a recording made by llama-stack's pytest suite (imported into recordings/ with
// `jest-replay import`), through the real openai SDK, offline: the API key is never checked.
const PYTEST_ID =
  "tests/integration/responses/test_tool_responses.py::test_response_non_streaming_multi_turn_tool_execution[client_with_models-txt=openai/gpt-4o-experiment_results_lookup]";

test('replays a streamed tool-calling answer recorded by llama-stack', async () => {
  setTestId(PYTEST_ID);
  const client = new OpenAI({ apiKey: 'sk-not-needed-in-replay' });
  const stream = await client.chat.completions.create({
    ...(request as OpenAI.ChatCompletionCreateParamsStreaming),
    stream: true,
  });
  let text = '';
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  expect(chunks).toBeGreaterThan(5);
  expect(text).toBe("The boiling point recorded in the 'boiling_point' experiment is 100°C.");
});
