import * as fs from 'node:fs';
import * as path from 'node:path';
import { failureOf, statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';

/**
 * The README's quick start, as a new user follows it: the preset line, a default `new OpenAI()`
 * client, `RECORD=1 npx jest` with a real key, then CI with exactly the environment the README's
 * workflow sets (and `CI=true`), without the upstream.
 */

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The `env:` of the README's CI workflow step that runs jest. */
function ciWorkflowEnv(): Record<string, string> {
  const workflow = /```yaml\n# \.github\/workflows\/test\.yml\n([\s\S]*?)```/.exec(README)?.[1];
  if (!workflow) throw new Error('README has no .github/workflows/test.yml example');
  const step = /- run: npx jest[^\n]*\n\s+env:\n((?:\s+[A-Z_]+: .+\n)+)/.exec(workflow)?.[1] ?? '';
  return Object.fromEntries([...step.matchAll(/([A-Z_]+): (.+)/g)].map(([, name, value]) => [name, value.trim()]));
}

const APP_TEST = `
const { default: OpenAI } = require('openai');
const client = new OpenAI(); // the SDK's defaults: OPENAI_API_KEY, OPENAI_BASE_URL
test('answers', async () => {
  const reply = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
  expect(reply.choices[0].message.content).toBe('echo: hi');
});
`;

describe('quick start', () => {
  const upstream = useUpstream();
  const project = useProjects('quick-start');

  test('recorded with a real key, the suite replays in CI with the README workflow environment and a default client', async () => {
    const p = project({ 'tests/app.test.js': APP_TEST });
    fs.writeFileSync(path.join(p.dir, 'jest.config.js'), "module.exports = { preset: 'jest-replay' };\n");
    const recorded = await p.run({ RECORD: '1', OPENAI_API_KEY: 'sk-quickstart-real-key-0001', OPENAI_BASE_URL: upstream().baseURL });
    expect(statusOf(recorded)).toEqual({ answers: 'passed' });
    expect(p.files()).toHaveLength(1);

    const env = ciWorkflowEnv();
    expect(Object.keys(env)).toContain('OPENAI_API_KEY');
    const ci = await p.run({ ...env, CI: 'true', OPENAI_BASE_URL: undefined });
    expect(ci.output).toContain('jest-replay: replay mode');
    expect(statusOf(ci)).toEqual({ answers: 'passed' });

    // Without that environment the SDK refuses to start: this is why the workflow sets it.
    const bare = await p.run({ CI: 'true', OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined });
    expect(statusOf(bare)).toEqual({});
    expect(bare.output).toContain('OPENAI_API_KEY');
  });
});
