import type { Circus } from '@jest/types';
import * as path from 'node:path';
import { ReplayConfigError } from '../core/errors';

/** What a test-id resolver receives (the contract of a `testIdResolver` module). */
export interface TestIdContext {
  /** Absolute path of the test file. */
  testPath: string;
  rootDir: string;
  /** Describe titles from the outside in, then the test title (empty for file-level hooks). */
  titles: string[];
  /** The id jest-replay would use. */
  defaultId: string;
}

export interface TestIdResolver {
  resolveTestId(context: TestIdContext): string;
}

/** `tests/chat.test.ts` relative to rootDir, always with `/`, as pytest node ids are. */
export function relativeTestPath(rootDir: string, testPath: string): string {
  return path.relative(rootDir, testPath).split(path.sep).join('/');
}

/**
 * pytest-style ids for every test of a file, in declaration order:
 * `<file>::<describe>::…::<title>`. A name already taken gets ` (2)`, ` (3)`…, so two tests
 * with the same full name stay apart, and the suffix depends only on declaration order
 * (never on `-t` filters or which tests ran).
 */
export function assignTestIds(relativePath: string, tests: readonly (readonly string[])[]): string[] {
  const taken = new Set<string>();
  return tests.map((titles) => {
    const base = [relativePath, ...titles].join('::');
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base} (${n})`;
    taken.add(id);
    return id;
  });
}

const ROOT_BLOCK = 'ROOT_DESCRIBE_BLOCK';

/** Describe titles from the outside in (the root block has none). */
export function describeTitles(block: Circus.DescribeBlock | undefined): string[] {
  const titles: string[] = [];
  for (let b = block; b && b.name !== ROOT_BLOCK; b = b.parent) titles.unshift(b.name);
  return titles;
}

/** Every test of a describe block, nested ones included, in declaration order. */
export function collectTests(block: Circus.DescribeBlock, out: Circus.TestEntry[] = []): Circus.TestEntry[] {
  for (const child of block.children) {
    if (child.type === 'test') out.push(child);
    else collectTests(child, out);
  }
  return out;
}

/** Every `beforeAll`/`afterAll` hook of a describe block, nested ones included. */
export function collectFileHooks(block: Circus.DescribeBlock, out: Circus.Hook[] = []): Circus.Hook[] {
  out.push(...block.hooks.filter((hook) => hook.type === 'beforeAll' || hook.type === 'afterAll'));
  for (const child of block.children) if (child.type === 'describeBlock') collectFileHooks(child, out);
  return out;
}

/**
 * The test ids of one test file: each test's and each `beforeAll`/`afterAll` hook's (through the project's
 * `testIdResolver`, if any), and all those its tests and hooks have now, to tell a renamed test's old id
 * from a sibling's.
 */
export class FileTestIds {
  private byTest?: Map<Circus.TestEntry, string>;
  private all?: string[];

  constructor(
    private readonly file: { testPath: string; rootDir: string },
    private readonly resolver?: { resolveTestId: TestIdResolver['resolveTestId']; module: string },
  ) {}

  get relativePath(): string {
    return relativeTestPath(this.file.rootDir, this.file.testPath);
  }

  ofTest(test: Circus.TestEntry, state: Circus.State): string {
    if (!this.byTest) {
      const tests = collectTests(state.rootDescribeBlock);
      const ids = assignTestIds(this.relativePath, tests.map((t) => [...describeTitles(t.parent), t.name]));
      this.byTest = new Map(tests.map((t, i) => [t, ids[i]]));
    }
    const titles = [...describeTitles(test.parent), test.name];
    return this.resolve(this.byTest.get(test) ?? [this.relativePath, ...titles].join('::'), titles);
  }

  ofHook(hook: Circus.Hook): string {
    const titles = [...describeTitles(hook.parent), hook.type];
    return this.resolve([this.relativePath, ...titles].join('::'), titles);
  }

  /** The ids of every test and `beforeAll`/`afterAll` hook declared in the file. */
  declared(state: Circus.State): readonly string[] {
    this.all ??= [
      ...collectTests(state.rootDescribeBlock).map((test) => this.ofTest(test, state)),
      ...collectFileHooks(state.rootDescribeBlock).map((hook) => this.ofHook(hook)),
    ];
    return this.all;
  }

  private resolve(defaultId: string, titles: string[]): string {
    if (!this.resolver) return defaultId;
    const id = this.resolver.resolveTestId({ ...this.file, titles, defaultId });
    if (typeof id !== 'string' || id.trim() === '') {
      throw new ReplayConfigError(
        `jest-replay: testIdResolver ${this.resolver.module} returned ${JSON.stringify(id)} for ${defaultId}; ` +
          'it must return a non-empty string.',
      );
    }
    return id;
  }
}
