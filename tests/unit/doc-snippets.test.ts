import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Every TypeScript snippet of the README and docs/ compiles under `tsc --strict`, against the types jest-replay
 * publishes (`dist/index.d.ts`, built by `npm test`), as a user pasting it would compile it: each fenced `ts` block
 * is a module of its own, beside a prelude that declares what the snippets leave to the reader (a client, its messages).
 */

const ROOT = path.resolve(__dirname, '..', '..');
const PAGES = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)];
const WORK = path.join(ROOT, 'tests', '.work', 'doc-snippets');
const TYPES = path.join(ROOT, 'dist', 'index.d.ts');

const PRELUDE = `import type OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

declare global {
  const client: OpenAI;
  const messages: ChatCompletionMessageParam[];
  function randomUser(): string;
}
export {};
`;

interface Snippet {
  /** `README.md:130`: the page and the line of the block's opening fence. */
  where: string;
  code: string;
}

function snippetsOf(page: string): Snippet[] {
  const text = fs.readFileSync(path.join(ROOT, page), 'utf8');
  return [...text.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```/gm)].map((match) => ({
    where: `${page}:${text.slice(0, match.index).split('\n').length}`,
    code: match[1],
  }));
}

test('every TypeScript snippet in README.md and docs/ compiles with tsc --strict', () => {
  expect(fs.existsSync(TYPES) ? TYPES : 'no dist/index.d.ts: run npm run build').toBe(TYPES);
  const snippets = PAGES.flatMap(snippetsOf);
  expect(snippets.length).toBeGreaterThanOrEqual(3);
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  fs.writeFileSync(path.join(WORK, 'prelude.d.ts'), PRELUDE);
  const files = snippets.map(({ where, code }, i) => {
    const file = path.join(WORK, `snippet-${i}.ts`);
    // A module of its own, so two snippets' names never meet.
    fs.writeFileSync(file, `// ${where}\n${code}\nexport {};\n`);
    return file;
  });
  const program = ts.createProgram([path.join(WORK, 'prelude.d.ts'), ...files], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node', 'jest'],
    baseUrl: ROOT,
    paths: { 'jest-replay': ['dist/index.d.ts'] },
  });
  const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file) return message;
    const where = diagnostic.file.text.split('\n')[0].replace('// ', '');
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    return `${where} (snippet line ${line}): TS${diagnostic.code} ${message}`;
  });
  expect(problems).toEqual([]);
});
