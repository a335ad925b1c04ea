import type { Circus } from '@jest/types';
import * as path from 'node:path';

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
