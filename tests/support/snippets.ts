/** Test-file snippets for fixture projects (plain CommonJS, so no transform is needed). */

/** Header of a fixture test file: an openai client on the upstream given by UPSTREAM_BASE. */
export const OPENAI_CLIENT = `
const { default: OpenAI } = require('openai');
const client = new OpenAI({ apiKey: 'sk-fixture-SECRET-value', baseURL: process.env.UPSTREAM_BASE || 'http://127.0.0.1:9/v1' });
const ask = async (content, extra = {}) => (await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra })).choices[0].message.content;
`;

/** A test that asks `content` and expects the upstream's echo. */
export const askTest = (title: string, content: string, fn = 'test') =>
  `${fn}(${JSON.stringify(title)}, async () => { expect(await ask(${JSON.stringify(content)})).toBe(${JSON.stringify(`echo: ${content}`)}); });\n`;
