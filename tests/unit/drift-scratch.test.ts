import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { driftDirProblem, liveDirOf, readDriftRun, startDriftRun, writeDriftNote } from '../../src/core/drift/scratch';
import { ReplayConfigError } from '../../src/core/errors';

/** The drift folder: never the recordings, cleared only when it is a drift run's own (or empty). */
describe('the drift folder', () => {
  let root: string;
  const at = (...parts: string[]) => path.join(root, ...parts);
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'drift-folder-'));
    fs.mkdirSync(at('recordings', 'tests'), { recursive: true });
    fs.writeFileSync(at('recordings', 'tests', 'a.json'), '{}');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test.each([
    ['inside the recordings', ['recordings', 'drift']],
    ['the recordings themselves', ['recordings']],
    ['holding the recordings', []],
  ])('%s: refused', (_, parts) => {
    expect(driftDirProblem(at(...parts), at('recordings'))).toBe(
      `the drift check's folder ${at(...parts)} and the recordings directory ${at('recordings')} overlap: ` +
        'a drift run never writes into the recordings. Name another folder.',
    );
  });

  test("a folder of other files is refused, a file too; a new one, an empty one or an earlier drift run's is taken", () => {
    fs.mkdirSync(at('src'));
    fs.writeFileSync(at('src', 'app.js'), '');
    expect(driftDirProblem(at('src'), at('recordings'))).toBe(
      `the drift check's folder ${at('src')} holds other files and no earlier drift check (drift.json): ` +
        'it would be cleared. Name a new or empty folder.',
    );
    expect(driftDirProblem(at('src', 'app.js'), at('recordings'))).toBe(
      `the drift check's folder ${at('src', 'app.js')} is a file. Name a folder.`,
    );
    fs.mkdirSync(at('empty'));
    for (const folder of ['new', 'empty']) expect(driftDirProblem(at(folder), at('recordings'))).toBeUndefined();
    startDriftRun(at('new'), at('recordings'), root);
    expect(driftDirProblem(at('new'), at('recordings'))).toBeUndefined();
  });

  test('a run clears the last one (live exchanges and notes) and says which recordings it checks; a refusal stops the run', () => {
    const drift = at('drift');
    startDriftRun(drift, at('recordings'), root);
    fs.mkdirSync(path.join(liveDirOf(drift), 'tests'), { recursive: true });
    fs.writeFileSync(path.join(liveDirOf(drift), 'tests', 'old.json'), '{}');
    writeDriftNote(drift, { testFile: 'a.test.js', recordings: 'recordings', scopes: [{ id: 'a', status: 'passed', requests: [] }] }, 'n1');
    fs.writeFileSync(path.join(drift, 'notes', 'broken.json'), '{"testFile": 1}');
    expect(readDriftRun(drift)).toMatchObject({
      recordings: 'recordings',
      notes: [{ testFile: 'a.test.js' }],
      unreadable: [path.join(drift, 'notes', 'broken.json')],
    });
    startDriftRun(drift, at('recordings'), root);
    expect(fs.existsSync(liveDirOf(drift))).toBe(false);
    expect(readDriftRun(drift)).toMatchObject({ notes: [], unreadable: [] });
    expect(readDriftRun(at('none'))).toBeUndefined();
    expect(() => startDriftRun(at('recordings', 'x'), at('recordings'), root)).toThrow(ReplayConfigError);
    expect(fs.readFileSync(at('recordings', 'tests', 'a.json'), 'utf8')).toBe('{}');
  });
});
