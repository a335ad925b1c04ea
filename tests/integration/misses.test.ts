import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, failureOf, statusOf } from '../support/fixture';
import { OPENAI_CLIENT } from '../support/snippets';
import { startUpstream } from '../support/upstream';

const LONG = `a long prompt ${'x'.repeat(100)}`;

/** Tests whose requests change between recording and replay, so that each misses in its own way. */
function testFile(version: 'recorded' | 'changed'): string {
  const changed = version === 'changed';
  return `${OPENAI_CLIENT}
test('changed fields', async () => {
  const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: ${changed ? "'bar'" : "'foo'"} }], temperature: ${changed ? 0.2 : 0.7}${changed ? ', seed: 42' : ', top_p: 1'} };
  await client.chat.completions.create(body);
});
test('long value', async () => {
  await ask(${changed ? 'LONG + " changed"' : 'LONG'});
});
test('other endpoint', async () => {
  ${changed ? "await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });" : "await ask('x');"}
});
test('numbered sequence', async () => {
  await ask('again').catch(() => undefined);
  await ask('again');
});
${changed ? "test('never recorded', async () => { await ask('new'); });" : ''}
`.replace('LONG', JSON.stringify(LONG));
}

describe('a miss explains itself from the test\'s own recordings', () => {
  const project = new FixtureProject('misses', { 'tests/m.test.js': testFile('recorded') });
  let run: Awaited<ReturnType<FixtureProject['run']>>;

  beforeAll(async () => {
    const upstream = await startUpstream();
    try {
      expect((await project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL })).code).toBe(0);
    } finally {
      await upstream.close();
    }
    // The first of the two identical requests loses its file: a gap in the sequence.
    const sequence = project.files().filter((f) => f.includes('numbered_sequence'));
    expect(sequence).toHaveLength(2);
    fs.rmSync(path.join(project.dir, 'recordings', sequence.find((f) => !/\.2\.json$/.test(f))!));
    project.write('tests/m.test.js', testFile('changed'));
    run = await project.run();
  });
  afterAll(() => project.remove());

  test('every test misses', () => {
    expect(Object.values(statusOf(run))).toEqual(Array(5).fill('failed'));
  });

  test('the nearest recording of the same endpoint, with each differing field: changed, added, removed', () => {
    const message = failureOf(run, 'changed fields');
    expect(message).toMatch(/ {2}nearest: {2}recordings\/tests\/m\.test\.js\/changed_fields-[0-9a-f]{8}\/[0-9a-f]{16}\.json \(same test and endpoint; 4 fields differ, recorded → now\)/);
    expect(message).toContain('    body.messages[2].content: "foo" → "bar"\n');
    expect(message).toContain('    body.seed: added 42\n');
    expect(message).toContain('    body.temperature: 0.7 → 0.2\n');
    expect(message).toContain('    body.top_p: removed (was 1)\n');
  });

  test('long values are shortened to 60 characters', () => {
    const message = failureOf(run, 'long value');
    const line = message.split('\n').find((l) => l.startsWith('    body.messages[0].content: '))!;
    const [from, to] = line.replace('    body.messages[0].content: ', '').split(' → ');
    expect(from).toBe(`${JSON.stringify(LONG).slice(0, 59)}…`);
    expect(to).toHaveLength(60);
  });

  test('a request to an endpoint the test never recorded says so', () => {
    expect(failureOf(run, 'other endpoint')).toContain('  this test has 1 recording, none for POST /v1/embeddings');
  });

  test('an identical request recorded under other numbers means a file of the sequence is missing', () => {
    const message = failureOf(run, 'numbered sequence');
    expect(message).toContain('this exact request is recorded as #2 but not as #1: a file of the sequence is missing');
    // The second identical request replays #2: only the first misses.
    expect(message.match(/no recording for this request/g)).toHaveLength(1);
  });

  test('a test with no recordings at all says so', () => {
    expect(failureOf(run, 'never recorded')).toContain('  this test has no recordings at all (never recorded, or recorded under another test id: renamed or moved?)');
  });

  test('the summary counts the misses', () => {
    expect(run.stderr).toContain('jest-replay: replay mode — 1 replayed, 0 recorded, 5 missing, 0 unused (recordings in recordings/)');
  });
});
