import * as path from 'node:path';
import { checkPlacement, resolveConfig, validateOptions } from '../../src/core/config';
import { ReplayConfigError } from '../../src/core/errors';

const rootDir = path.resolve('/projects/app');

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('resolveConfig', () => {
  it('defaults: replay, <rootDir>/recordings, nothing ignored, no extra headers', () => {
    expect(resolveConfig({ rootDir, env: {} })).toEqual({
      mode: 'replay',
      rootDir,
      dir: path.join(rootDir, 'recordings'),
      ignoreHosts: [],
      testIdResolver: undefined,
      requestHeaders: [],
      normalizers: [],
      recordTiming: false,
      timing: 0,
      redact: undefined,
      allowHosts: [],
      usageDir: path.join(rootDir, 'node_modules', '.cache', 'jest-replay'),
      matchIgnore: [],
      beforeRecord: undefined,
      recordFailedRequests: false,
      placeholderKeys: true,
    });
  });

  it('usageDir resolves against rootDir, <rootDir> expanded', () => {
    expect(resolveConfig({ rootDir, options: { usageDir: '<rootDir>/.usage' }, env: {} }).usageDir).toBe(path.join(rootDir, '.usage'));
  });

  it('passes timing options through', () => {
    const config = resolveConfig({ rootDir, options: { recordTiming: true, timing: 1.5 }, env: {} });
    expect(config.recordTiming).toBe(true);
    expect(config.timing).toBe(1.5);
  });

  it('null and undefined options mean no options', () => {
    expect(resolveConfig({ rootDir, options: null, env: {} }).dir).toBe(path.join(rootDir, 'recordings'));
    expect(resolveConfig({ rootDir, options: undefined, env: {} }).dir).toBe(path.join(rootDir, 'recordings'));
  });

  it('lists normalizers, one or several, with <rootDir> replaced', () => {
    expect(resolveConfig({ rootDir, options: { normalizers: '<rootDir>/n.js' }, env: {} }).normalizers).toEqual([`${rootDir}/n.js`]);
    expect(resolveConfig({ rootDir, options: { normalizers: ['a', './b.js'] }, env: {} }).normalizers).toEqual(['a', './b.js']);
  });

  it('a relative options.dir resolves against rootDir', () => {
    expect(resolveConfig({ rootDir, options: { dir: 'fixtures/http' }, env: {} }).dir).toBe(path.join(rootDir, 'fixtures', 'http'));
  });

  it('an absolute options.dir is kept', () => {
    const dir = path.resolve('/var/recordings');
    expect(resolveConfig({ rootDir, options: { dir }, env: {} }).dir).toBe(dir);
  });

  it('replaces a leading <rootDir> token in options.dir', () => {
    expect(resolveConfig({ rootDir, options: { dir: '<rootDir>/tests/__recordings__' }, env: {} }).dir).toBe(
      path.join(rootDir, 'tests', '__recordings__'),
    );
  });

  it('JEST_REPLAY_DIR beats options.dir', () => {
    const config = resolveConfig({ rootDir, options: { dir: 'from-options' }, env: { JEST_REPLAY_DIR: 'from-env' } });
    expect(config.dir).toBe(path.join(rootDir, 'from-env'));
  });

  it('JEST_REPLAY_DIR understands <rootDir> and absolute paths', () => {
    expect(resolveConfig({ rootDir, env: { JEST_REPLAY_DIR: '<rootDir>/env-dir' } }).dir).toBe(path.join(rootDir, 'env-dir'));
    const absolute = path.resolve('/tmp/env-dir');
    expect(resolveConfig({ rootDir, env: { JEST_REPLAY_DIR: absolute } }).dir).toBe(absolute);
  });

  it('a blank JEST_REPLAY_DIR is ignored', () => {
    expect(resolveConfig({ rootDir, options: { dir: 'opts' }, env: { JEST_REPLAY_DIR: '   ' } }).dir).toBe(path.join(rootDir, 'opts'));
  });

  it('lower-cases ignoreHosts and requestHeaders', () => {
    const config = resolveConfig({
      rootDir,
      options: { ignoreHosts: ['LocalHost:8080', 'Example.COM'], requestHeaders: ['X-Trace-Id'] },
      env: {},
    });
    expect(config.ignoreHosts).toEqual(['localhost:8080', 'example.com']);
    expect(config.requestHeaders).toEqual(['x-trace-id']);
  });

  it('replaces <rootDir> in testIdResolver and leaves a package name alone', () => {
    expect(resolveConfig({ rootDir, options: { testIdResolver: '<rootDir>/ids.js' }, env: {} }).testIdResolver).toBe(`${rootDir}/ids.js`);
    expect(resolveConfig({ rootDir, options: { testIdResolver: 'my-resolver' }, env: {} }).testIdResolver).toBe('my-resolver');
  });

  it('replaces <rootDir> in redact and beforeRecord and lower-cases allowHosts', () => {
    const hooks = { redact: '<rootDir>/redact.js', beforeRecord: '<rootDir>/before-record.js' };
    const options = { ...hooks, recordFailedRequests: true, allowHosts: ['DB.internal:5432'] };
    const config = resolveConfig({ rootDir, options, env: {} });
    expect(config.redact).toBe(`${rootDir}/redact.js`);
    expect(config.beforeRecord).toBe(`${rootDir}/before-record.js`);
    expect(config.recordFailedRequests).toBe(true);
    expect(config.allowHosts).toEqual(['db.internal:5432']);
  });

  it('resolves the mode from the same environment', () => {
    expect(resolveConfig({ rootDir, env: { RECORD: '1' } }).mode).toBe('record');
    expect(resolveConfig({ rootDir, env: { JEST_REPLAY_MODE: 'live' } }).mode).toBe('live');
  });

  it('propagates mode errors', () => {
    expect(() => resolveConfig({ rootDir, env: { RECORD: '1', CI: 'true' } })).toThrow(/JEST_REPLAY_MODE=record/);
  });

  it('validates options before anything else', () => {
    expect(() => resolveConfig({ rootDir, options: { dri: 'x' }, env: {} })).toThrow('testEnvironmentOptions.replay.dri');
  });
});

describe('validateOptions', () => {
  it('accepts matchIgnore body paths and passes them through', () => {
    const matchIgnore = ['body.user', 'body.metadata.*'];
    expect(resolveConfig({ rootDir, options: { matchIgnore }, env: {} }).matchIgnore).toEqual(matchIgnore);
  });

  it.each([
    [['user'], 'jest-replay: testEnvironmentOptions.replay.matchIgnore: "user" must start with "body." (a path into the request body'],
    [['body.a', 'body..b'], 'jest-replay: testEnvironmentOptions.replay.matchIgnore: "body..b" has an empty segment.'],
    ['body.user', 'jest-replay: testEnvironmentOptions.replay.matchIgnore must be an array of paths into the request body'],
  ])('refuses matchIgnore %j, naming the option and the path', (matchIgnore, message) => {
    const error = errorOf(() => validateOptions({ matchIgnore }));
    expect(error).toBeInstanceOf(ReplayConfigError);
    expect(error.message).toContain(message);
  });

  it('returns the options it accepts', () => {
    const options = { dir: 'x', ignoreHosts: ['a'], testIdResolver: './r.js', requestHeaders: [] };
    expect(validateOptions(options)).toEqual(options);
  });

  it('names an unknown key as testEnvironmentOptions.replay.<key> and lists the known ones', () => {
    const error = errorOf(() => validateOptions({ directory: 'x' }));
    expect(error).toBeInstanceOf(ReplayConfigError);
    expect(error.message).toContain('unknown option testEnvironmentOptions.replay.directory');
    expect(error.message).toContain('Known options: dir, ignoreHosts, testIdResolver, requestHeaders');
  });

  it.each([
    ['ignoreHost', 'ignoreHosts'],
    ['normaliser', 'normalizers'],
    ['Dir', 'dir'],
  ])('suggests the nearest known option for %s', (typo, known) => {
    expect(errorOf(() => validateOptions({ [typo]: 'x' })).message).toContain(`unknown option testEnvironmentOptions.replay.${typo}. Did you mean ${known}? Known options:`);
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('reports %s (an Object.prototype member) as unknown', (key) => {
    // JSON.parse makes `__proto__` an own key, as a JSON config file would.
    const error = errorOf(() => validateOptions(JSON.parse(`{${JSON.stringify(key)}: "x"}`)));
    expect(error).toBeInstanceOf(ReplayConfigError);
    expect(error.message).toContain(`unknown option testEnvironmentOptions.replay.${key}.`);
  });

  it('suggests nothing for a key far from every option', () => {
    expect(errorOf(() => validateOptions({ colour: 'x' })).message).not.toContain('Did you mean');
  });

  it('accepts normalizers as one module path or a list of them', () => {
    expect(validateOptions({ normalizers: './n.js' })).toEqual({ normalizers: './n.js' });
    expect(validateOptions({ normalizers: ['./a.js', 'pkg'] })).toEqual({ normalizers: ['./a.js', 'pkg'] });
  });

  it.each([
    ['normalizers', 3, 'testEnvironmentOptions.replay.normalizers must be a module path string or an array of them, got 3'],
    ['normalizers', [''], 'testEnvironmentOptions.replay.normalizers must be a module path string or an array of them, got [""]'],
    ['dir', 5, 'testEnvironmentOptions.replay.dir must be a non-empty string, got 5'],
    ['dir', '', 'testEnvironmentOptions.replay.dir must be a non-empty string, got ""'],
    ['ignoreHosts', 'localhost', 'testEnvironmentOptions.replay.ignoreHosts must be an array of strings, got "localhost"'],
    ['ignoreHosts', ['a', 1], 'testEnvironmentOptions.replay.ignoreHosts must be an array of strings, got ["a",1]'],
    ['testIdResolver', {}, 'testEnvironmentOptions.replay.testIdResolver must be a module path string, got {}'],
    ['requestHeaders', [null], 'testEnvironmentOptions.replay.requestHeaders must be an array of strings, got [null]'],
    ['recordTiming', 'yes', 'testEnvironmentOptions.replay.recordTiming must be true or false, got "yes"'],
    ['timing', -1, 'testEnvironmentOptions.replay.timing must be a number >= 0 (0 = as fast as possible, 1 = as recorded), got -1'],
    ['timing', '1', 'testEnvironmentOptions.replay.timing must be a number >= 0 (0 = as fast as possible, 1 = as recorded), got "1"'],
    ['redact', true, 'testEnvironmentOptions.replay.redact must be a module path string, got true'],
    ['allowHosts', 'db.internal', 'testEnvironmentOptions.replay.allowHosts must be an array of strings, got "db.internal"'],
    ['beforeRecord', ['a.js'], 'testEnvironmentOptions.replay.beforeRecord must be a module path string, got ["a.js"]'],
    ['recordFailedRequests', 1, 'testEnvironmentOptions.replay.recordFailedRequests must be true or false, got 1'],
  ])('rejects %s=%j with a message naming the option and the expected type', (key, value, message) => {
    const error = errorOf(() => validateOptions({ [key]: value }));
    expect(error).toBeInstanceOf(ReplayConfigError);
    expect(error.message).toBe(`jest-replay: ${message}.`);
  });

  it.each([
    'authorization', 'Authorization', 'x-api-key', 'Cookie', 'X-Amz-Security-Token', 'Ocp-Apim-Subscription-Key', 'X-Auth-Token', 'apikey',
    'Private-Token', 'x-goog-api-key', 'x-functions-key', 'x-api-token', 'Authentication', 'x-openai-api-key',
  ])('refuses the credential header %s in requestHeaders', (header) => {
    const error = errorOf(() => validateOptions({ requestHeaders: ['x-trace-id', header] }));
    expect(error).toBeInstanceOf(ReplayConfigError);
    expect(error.message).toContain('testEnvironmentOptions.replay.requestHeaders');
    expect(error.message).toContain(JSON.stringify(header));
    expect(error.message).toContain('never stored');
  });

  it.each([['a string'], [42], [['dir']]])('rejects a non-object replay option (%j)', (raw) => {
    expect(() => validateOptions(raw)).toThrow('testEnvironmentOptions.replay must be an object');
  });
});

describe('checkPlacement', () => {
  it("leaves the environment's own options alone", () => {
    expect(() => checkPlacement({ customExportConditions: ['node'], replay: { dir: 'x' } })).not.toThrow();
    expect(() => checkPlacement(undefined)).not.toThrow();
  });

  it('refuses a jest-replay option beside replay, naming where it goes', () => {
    const error = errorOf(() => checkPlacement({ timing: 1 }));
    expect(error).toBeInstanceOf(ReplayConfigError);
    expect(error.message).toBe(
      'jest-replay: testEnvironmentOptions.timing is a jest-replay option, read only under testEnvironmentOptions.replay: ' +
        'move timing under testEnvironmentOptions.replay (testEnvironmentOptions: { replay: { timing: … } }).',
    );
  });
});
