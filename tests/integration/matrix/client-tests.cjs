// The clients every matrix leg runs, defined once. CommonJS and ESM test files pass in the modules
// they loaded their own way, so an ESM leg really loads the SDKs' ESM builds. UPSTREAM is the
// loopback server's origin, running while recording and stopped while replaying. CHANGED_PROMPT
// alters one request, so that replay meets a request it has no recording for.
module.exports = function clientTests({ OpenAI, openaiVersion, Anthropic, axios, undici, nock }) {
  const upstream = process.env.UPSTREAM;
  const chat = (content, extra = {}) => ({ model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra });
  const openai = new OpenAI({ apiKey: 'sk-matrix-SECRET', baseURL: `${upstream}/v1`, maxRetries: 0 });

  test(`openai v${openaiVersion.split('.')[0]} chat`, async () => {
    const prompt = process.env.CHANGED_PROMPT ?? 'openai chat';
    const reply = await openai.chat.completions.create(chat(prompt));
    expect(reply.choices[0].message.content).toBe(`echo: ${prompt}`);
  });

  test(`openai v${openaiVersion.split('.')[0]} chat stream`, async () => {
    let text = '';
    for await (const chunk of await openai.chat.completions.create(chat('openai stream', { stream: true }))) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('echo: openai stream');
  });

  test('@anthropic-ai/sdk message stream', async () => {
    const anthropic = new Anthropic({ apiKey: 'sk-ant-matrix-SECRET', baseURL: upstream, maxRetries: 0 });
    const stream = await anthropic.messages.create({ model: 'claude-haiku', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'anthropic stream' }] });
    let text = '';
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    expect(text).toBe('echo: anthropic stream');
  });

  test('axios', async () => {
    const response = await axios.post(`${upstream}/v1/chat/completions`, chat('axios'), { headers: { authorization: 'Bearer sk-matrix-SECRET' } });
    expect(response.data.choices[0].message.content).toBe('echo: axios');
  });

  test('global fetch', async () => {
    const response = await fetch(`${upstream}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat('fetch')) });
    expect((await response.json()).choices[0].message.content).toBe('echo: fetch');
  });

  test('undici.fetch', async () => {
    const response = await undici.fetch(`${upstream}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat('undici fetch')) });
    expect((await response.json()).choices[0].message.content).toBe('echo: undici fetch');
  });

  // A user's nock scope answers axios (node:http) in the same test as the openai SDK records and replays.
  test(`nock beside openai v${openaiVersion.split('.')[0]}`, async () => {
    const weather = nock('http://weather.example').get('/today').reply(200, { sky: 'clear' });
    const { data } = await axios.get('http://weather.example/today');
    const reply = await openai.chat.completions.create(chat(`nock says ${data.sky}`));
    expect(reply.choices[0].message.content).toBe('echo: nock says clear');
    weather.done();
    nock.cleanAll();
  });

  test('undici.request', async () => {
    const { statusCode, body } = await undici.request(`${upstream}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat('undici')) });
    expect(statusCode).toBe(200);
    expect((await body.json()).choices[0].message.content).toBe('echo: undici');
  });
};
