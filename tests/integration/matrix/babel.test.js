// babel-jest hoists jest.mock() above the require: without the transform, `topic` would be the real one.
const { topic } = require('./topic');
jest.mock('./topic', () => ({ topic: 'babel-jest' }));

test('transformed by babel-jest', async () => {
  const response = await fetch(`${process.env.UPSTREAM}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: topic }] }),
  });
  expect((await response.json()).choices[0].message.content).toBe('echo: babel-jest');
});
