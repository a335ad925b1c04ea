import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startUpstream, type Upstream } from './upstream';

let upstream: Upstream;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = await startUpstream();
  openai = new OpenAI({ apiKey: 'test-key', baseURL: upstream.baseURL, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'test-key', baseURL: upstream.url, maxRetries: 0 });
});
afterAll(() => upstream.close());

const weather = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } };

describe('test upstream: agent traffic, with fresh ids on every call', () => {
  test('chat: a call to the first tool, streamed or not; the tool message is answered', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'rain in Paris?' }];
    const first = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools: [weather] });
    const [call] = first.choices[0].message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({
      id: expect.stringMatching(/^call_[0-9a-f]{24}$/),
      function: { name: 'get_weather', arguments: '{"query":"rain in Paris?"}' },
    });
    const streamed = await openai.chat.completions.stream({ model: 'gpt-4o', messages, tools: [weather] }).finalChatCompletion();
    const [again] = streamed.choices[0].message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(again.function).toEqual(call.function);
    expect(again.id).not.toBe(call.id);
    const answer = await openai.chat.completions.create({
      model: 'gpt-4o',
      tools: [weather],
      messages: [...messages, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
    });
    expect(answer.choices[0].message.content).toBe('echo: sunny');
  });

  test('responses: a function call item; its output is answered, previous_response_id echoed', async () => {
    const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'get_weather', parameters: {}, strict: false }];
    const first = await openai.responses.create({ model: 'gpt-4o', input: 'rain in Paris?', tools });
    expect(first.output[0]).toMatchObject({
      type: 'function_call',
      id: expect.stringMatching(/^fc_/),
      call_id: expect.stringMatching(/^call_/),
      name: 'get_weather',
    });
    const streamed = await openai.responses.stream({ model: 'gpt-4o', input: 'rain in Paris?', tools }).finalResponse();
    expect(streamed.output[0]).toMatchObject({ type: 'function_call', arguments: '{"query":"rain in Paris?"}' });
    const call = first.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    const input = [{ type: 'function_call_output' as const, call_id: call.call_id, output: 'sunny' }];
    const answer = await openai.responses.create({ model: 'gpt-4o', previous_response_id: first.id, input, tools });
    expect(answer.output_text).toBe('echo: sunny');
    expect(answer.previous_response_id).toBe(first.id);
  });

  test('responses: a reasoning summary, an annotation and an unknown event type around the message', async () => {
    const stream = await openai.responses.create({ model: 'o4-mini', input: 'think', reasoning: { summary: 'auto' }, stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe('echo: think');
    expect(types).toEqual(
      expect.arrayContaining([
        'response.reasoning_summary_text.delta',
        'response.output_text.annotation.added',
        'response.vendor_note.added',
      ]),
    );
    expect(types.indexOf('response.reasoning_summary_part.done')).toBeLessThan(types.indexOf('response.output_text.delta'));
  });

  test('anthropic: a tool_use block, streamed or not; the tool result is answered', async () => {
    const tools = [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: {} } }];
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'rain in Paris?' }];
    const first = await anthropic.messages.create({ model: 'claude-haiku', max_tokens: 64, messages, tools });
    expect(first.stop_reason).toBe('tool_use');
    const [use] = first.content as Anthropic.ToolUseBlock[];
    expect(use).toMatchObject({
      type: 'tool_use',
      id: expect.stringMatching(/^toolu_/),
      name: 'get_weather',
      input: { query: 'rain in Paris?' },
    });
    const streamed = await anthropic.messages.stream({ model: 'claude-haiku', max_tokens: 64, messages, tools }).finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'tool_use', input: { query: 'rain in Paris?' } });
    const result: Anthropic.MessageParam = { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] };
    const answer = await anthropic.messages.create({
      model: 'claude-haiku',
      max_tokens: 64,
      messages: [...messages, { role: 'assistant', content: first.content }, result],
      tools,
    });
    expect(answer.content).toEqual([{ type: 'text', text: 'echo: sunny' }]);
  });

  test('moderations, a server clock on request, and x-upstream-fail', async () => {
    const moderation = await openai.moderations.create({ model: 'omni-moderation-latest', input: 'hello' });
    expect(moderation).toMatchObject({ id: expect.stringMatching(/^modr-/), results: [{ flagged: false }] });
    const clocked = await openai.embeddings.create({ model: 'e', input: 'x' }, { headers: { 'x-upstream-server-time': '1' } });
    expect((clocked as unknown as { server_time: number }).server_time).toBeGreaterThan(Date.now() - 60_000);
    await expect(openai.embeddings.create({ model: 'e', input: 'x' }, { headers: { 'x-upstream-fail': '401' } })).rejects.toMatchObject({
      status: 401,
    });
    await expect(openai.embeddings.create({ model: 'e', input: 'x' }, { headers: { 'x-upstream-fail': 'reset' } })).rejects.toThrow(
      /Connection error/,
    );
  });
});
