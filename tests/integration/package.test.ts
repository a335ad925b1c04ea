import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The package as npm packs it (`npm pack --dry-run`, from the built dist/): what it holds, what it runs at install, and
 * what its files need. Installing the packed tarball with npm, pnpm and Yarn is `npm run test:pack` (tests/pack/).
 */
const ROOT = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
let packed: Set<string>;

beforeAll(() => {
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  packed = new Set((JSON.parse(json) as [{ files: { path: string }[] }])[0].files.map((f) => f.path));
});

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const packedWith = (suffix: string) => [...packed].filter((f) => f.endsWith(suffix));

test('the tarball holds the MIT LICENSE package.json names, and says where the project lives', () => {
  expect(packed.has('LICENSE')).toBe(true);
  expect(manifest.license).toBe('MIT');
  expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the jest-replay authors\n/);
  expect(manifest.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/.+\.git$/) });
  expect(manifest.homepage).toMatch(/^https:\/\//);
  expect(manifest.bugs.url).toMatch(/^https:\/\//);
});

test('no source map points at a file the tarball does not hold', () => {
  const dangling: string[] = [];
  for (const file of packedWith('.js')) {
    const map = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(read(file))?.[1];
    if (map && !packed.has(path.posix.join(path.posix.dirname(file), map))) dangling.push(`${file} -> ${map}`);
  }
  for (const file of packedWith('.map')) {
    const sources: string[] = JSON.parse(read(file)).sources;
    for (const source of sources) if (!packed.has(path.posix.join(path.posix.dirname(file), source))) dangling.push(`${file} -> ${source}`);
  }
  expect(dangling).toEqual([]);
});

test('every relative link in the packed README and docs leads to a packed file (so they work from the registry and node_modules)', () => {
  const broken: string[] = [];
  for (const page of packedWith('.md')) {
    const prose = read(page).replace(/^```[\s\S]*?^```/gm, '');
    for (const [, target] of prose.matchAll(/\]\(([^)\s#]+)(?:#[^)\s]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const file = path.posix.normalize(path.posix.join(path.posix.dirname(page), target));
      if (!packed.has(file)) broken.push(`${page} -> ${target}`);
    }
  }
  expect(packed.has('docs/compatibility.md')).toBe(true);
  expect(broken).toEqual([]);
});

test('installing runs no script of the package: it is built before packing, never at install', () => {
  const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];
  expect(Object.keys(manifest.scripts).filter((name) => INSTALL_SCRIPTS.includes(name))).toEqual([]);
  expect(manifest.scripts.prepack).toBe('npm run build');
});

test('every entry point, export and typesVersions target is in the tarball', () => {
  const targets = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(targets) : Object.values(value as object).flatMap(targets);
  const all = [manifest.main, manifest.types, ...targets(manifest.bin), ...targets(manifest.exports), ...targets(manifest.typesVersions)];
  expect(all.map((t) => path.posix.normalize(t)).filter((t) => !packed.has(t))).toEqual([]);
});

test('Jest belongs to the user: jest-environment-node and the @jest packages the types import are peers, in the range of jest', () => {
  const jestPackages = Object.keys(manifest.dependencies).filter((name) => /^(jest$|jest-|@jest\/)/.test(name));
  expect(jestPackages).toEqual([]);
  for (const peer of ['jest', 'jest-environment-node', '@jest/environment', '@jest/types', '@jest/test-result']) {
    expect([peer, manifest.peerDependencies[peer]]).toEqual([peer, '^29.0.0 || ^30.0.0']);
  }
});

test('every package the packed code and types import is a dependency or a peer', () => {
  // Its own name too: a package may import itself through its exports.
  const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  const undeclared = new Set<string>();
  for (const file of [...packedWith('.js'), ...packedWith('.mjs'), ...packedWith('.d.ts'), ...packedWith('.d.mts')]) {
    const text = read(file);
    const specifiers = [...text.matchAll(/(?:require\(|import\(|from )['"]([^'"]+)['"]/g)].map(([, s]) => s);
    for (const specifier of specifiers.filter((s) => !s.startsWith('.') && !builtins.has(s))) {
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
      if (!declared.has(name)) undeclared.add(`${name} (${file})`);
    }
  }
  expect([...undeclared]).toEqual([]);
});
