import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { FixtureProject } from '../support/fixture';

/**
 * Every entry point as a TypeScript or JavaScript consumer imports it: the types under each of TypeScript's module
 * resolutions (node10 reads `typesVersions`, node16 and bundler read `exports`), and at run time from CommonJS and from
 * ES modules, where the default export of the environment, global setup and reporter is the class or function itself.
 */
const CONSUMER = `
import type { Config } from '@jest/types';
import { replay, setTestId, type ReplayOptions } from 'jest-replay';
import { resolveMode, verifyRecording } from 'jest-replay/core';
import ReplayEnvironment, { withReplay } from 'jest-replay/environment';
import globalSetup from 'jest-replay/global-setup';
import globalTeardown from 'jest-replay/global-teardown';
import ReplayReporter from 'jest-replay/reporter';

export class MyEnvironment extends withReplay(ReplayEnvironment) {}
export class Extended extends ReplayEnvironment {}
export const setup: (globalConfig: Config.GlobalConfig, projectConfig: Config.ProjectConfig) => Promise<void> = globalSetup;
export const teardown: (globalConfig: Config.GlobalConfig) => Promise<void> = globalTeardown;
export const reporter = (globalConfig: Config.GlobalConfig) => new ReplayReporter(globalConfig);
export const options: ReplayOptions = { dir: 'recordings' };
export const used = [replay.live, setTestId, resolveMode, verifyRecording];

// The types jest-replay's declarations take from jest-environment-node and the @jest packages resolve (unresolved, they
// would silently be \`any\`, which fits anything).
type IsAny<T> = 0 extends 1 & T ? true : false;
export const resolved: [false, false, false, false, false, false] = [
  false as IsAny<Extended['global']>,
  false as IsAny<ConstructorParameters<Parameters<typeof withReplay>[0]>[0]>,
  false as IsAny<Parameters<typeof globalSetup>[0]>,
  false as IsAny<Parameters<typeof globalTeardown>[0]>,
  false as IsAny<ConstructorParameters<typeof ReplayReporter>[0]>,
  false as IsAny<typeof ReplayEnvironment>,
];
`;

/** Each resolution, and the consumer files it checks (node16: from a CommonJS and from an ES module file). */
const RESOLUTIONS: [string, string[], ts.CompilerOptions][] = [
  ['node10', ['consumer.ts'], { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true }],
  ['node16', ['consumer.cts', 'consumer.mts'], { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }],
  ['bundler', ['consumer.ts'], { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }],
];

describe('jest-replay as a package', () => {
  const project = new FixtureProject('package-types', {});
  afterAll(() => project.remove());

  /** Parsed files, shared by the programs: only resolution differs between them. */
  const parsed = new Map<string, ts.SourceFile | undefined>();
  const host = (options: ts.CompilerOptions): ts.CompilerHost => {
    const base = ts.createCompilerHost(options);
    const getSourceFile: ts.CompilerHost['getSourceFile'] = (fileName, language, ...rest) => {
      const key = `${fileName}:${JSON.stringify(language)}`;
      if (!parsed.has(key) || fileName.startsWith(project.dir)) parsed.set(key, base.getSourceFile(fileName, language, ...rest));
      return parsed.get(key);
    };
    return { ...base, getSourceFile };
  };

  test.each(RESOLUTIONS)('every entry point type-checks under %s resolution', (_, files, resolution) => {
    for (const file of files) project.write(file, CONSUMER);
    const options = { ...resolution, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: ['node'] };
    const program = ts.createProgram(
      files.map((file) => path.join(project.dir, file)),
      options,
      host(options),
    );
    const consumers = program.getSourceFiles().filter((f) => f.fileName.startsWith(project.dir));
    const diagnostics = [...program.getGlobalDiagnostics(), ...consumers.flatMap((f) => program.getSemanticDiagnostics(f))];
    expect(diagnostics.map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)).toEqual([]);
  });

  test('at run time, ES modules and CommonJS get the same classes and functions, the default export being the thing itself', () => {
    project.write(
      'check.mjs',
      `import { createRequire } from 'node:module';
import ReplayEnvironment, { withReplay, ReplayEnvironment as Named } from 'jest-replay/environment';
import globalSetup, { globalSetup as namedSetup } from 'jest-replay/global-setup';
import globalTeardown, { globalTeardown as namedTeardown } from 'jest-replay/global-teardown';
import ReplayReporter, { ReplayReporter as NamedReporter } from 'jest-replay/reporter';
const require = createRequire(import.meta.url);
const cjs = (name) => require('jest-replay/' + name);
console.log(JSON.stringify({
  environment: [
    ReplayEnvironment.name,
    ReplayEnvironment === Named,
    ReplayEnvironment === cjs('environment').default,
    withReplay === cjs('environment').withReplay,
  ],
  globalSetup: [globalSetup.name, globalSetup === namedSetup, globalSetup === cjs('global-setup').default],
  globalTeardown: [globalTeardown.name, globalTeardown === namedTeardown, globalTeardown === cjs('global-teardown').default],
  reporter: [ReplayReporter.name, ReplayReporter === NamedReporter, ReplayReporter === cjs('reporter').default],
}));
`,
    );
    const output = execFileSync(process.execPath, ['check.mjs'], { cwd: project.dir, encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({
      environment: ['ReplayEnvironment', true, true, true],
      globalSetup: ['globalSetup', true, true],
      globalTeardown: ['globalTeardown', true, true],
      reporter: ['ReplayReporter', true, true],
    });
    expect(fs.existsSync(path.join(project.dir, 'node_modules', 'jest-replay', 'esm'))).toBe(true);
  });
});
