import * as fs from 'node:fs';
import * as path from 'node:path';
import { statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';

/**
 * The README's quick start, as a new user of TypeScript follows it: the install lines and the jest.config.js as
 * written (ts-jest beside the preset), a test file with a default `new OpenAI()` client, `RECORD=1 npx jest` with a
 * real key, then the README's CI step with `CI=true`, no key anywhere and no upstream.
 */

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const QUICK_START = README.slice(README.indexOf('## Quick start'), README.indexOf('\n## ', README.indexOf('## Quick start') + 1));

/** The fenced block of the quick start that starts with `first` (its language line left out). */
function block(first: string): string {
  const found = [...QUICK_START.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1]).find((text) => text.startsWith(first));
  if (!found) throw new Error(`the README's quick start has no block starting with ${first}`);
  return found;
}

/** The arguments of the README's CI step that runs jest, after checking it sets no variable (no key line). */
function ciStep(): string[] {
  const step = /- run: npx jest([^\n]*)\n(\s+env:)?/.exec(block('# .github/workflows/test.yml'));
  if (!step) throw new Error("the quick start's workflow does not run npx jest");
  expect(step[2]).toBeUndefined();
  return step[1].trim().split(/\s+/).filter(Boolean);
}

const APP_TEST = `import OpenAI from 'openai';

const client = new OpenAI(); // the SDK's defaults: OPENAI_API_KEY, OPENAI_BASE_URL

test('answers', async () => {
  const reply = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
  const text: string | null = reply.choices[0].message.content;
  expect(text).toBe('echo: hi');
});
`;

/** A project's own tsconfig.json, for CommonJS (`isolatedModules`, as `tsc --init` sets it: ts-jest then transpiles each file alone). */
const TSCONFIG = {
  compilerOptions: {
    target: 'es2022',
    module: 'commonjs',
    strict: true,
    esModuleInterop: true,
    isolatedModules: true,
    skipLibCheck: true,
    types: ['jest', 'node'],
  },
};

describe('quick start', () => {
  const upstream = useUpstream();
  const project = useProjects('quick-start');

  test('TypeScript: recorded with a real key, the suite replays in CI with the README workflow, no key and a default client', async () => {
    const installed = block('npm install').match(/-D ([^#\n]+)/g)!.flatMap((line) => line.slice(3).trim().split(/\s+/));
    expect(installed).toEqual(expect.arrayContaining(['jest', 'jest-replay', 'ts-jest', 'typescript', '@types/jest']));
    const p = project({ 'tests/app.test.ts': APP_TEST, 'tsconfig.json': JSON.stringify(TSCONFIG, null, 2) });
    fs.writeFileSync(path.join(p.dir, 'jest.config.js'), block('// jest.config.js'));

    const recorded = await p.run({ RECORD: '1', OPENAI_API_KEY: 'sk-quickstart-real-key-0001', OPENAI_BASE_URL: upstream().baseURL });
    expect(statusOf(recorded)).toEqual({ answers: 'passed' });
    expect(p.files()).toHaveLength(1);

    const keys = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OPENAI_BASE_URL'];
    const ci = await p.run({ CI: 'true', ...Object.fromEntries(keys.map((name) => [name, undefined])) }, ciStep());
    expect(ci.output).toContain('jest-replay: replay mode');
    expect(statusOf(ci)).toEqual({ answers: 'passed' });
    expect(ci.code).toBe(0);
  });
});
