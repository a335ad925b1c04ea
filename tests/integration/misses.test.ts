import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, failureOf, statusOf } from '../support/fixture';
import { OPENAI_CLIENT } from '../support/snippets';
import { startUpstream } from '../support/upstream';

/** A long prompt whose words change after its first 60 characters. */
const longPrompt = (count: string) =>
  `Summarize the following article about the history of the printing press in ${count} sentences, for a child.`;

/** Tests whose requests change between recording and replay, so that each misses in its own way. */
function testFile(version: 'recorded' | 'changed'): string {
  const changed = version === 'changed';
  return `${OPENAI_CLIENT}
test('changed fields', async () => {
  const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: ${changed ? "'bar'" : "'foo'"} }], temperature: ${changed ? 0.2 : 0.7}${changed ? ', seed: 42' : ', top_p: 1'} };
  await client.chat.completions.create(body);
});
test('long value', async () => {
  await ask(${JSON.stringify(longPrompt(changed ? 'five' : 'three'))});
});
test('other endpoint', async () => {
  ${changed ? "await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });" : "await ask('x');"}
});
test('numbered sequence', async () => {
  await ask('again').catch(() => undefined);
  await ask('again');
});
${changed ? "test('never recorded', async () => { await ask('new'); });" : ''}
test(${changed ? "'asks about the rain'" : "'asks about rain'"}, async () => {
  await ask('rain?');
});
`;
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
    expect(Object.values(statusOf(run))).toEqual(Array(6).fill('failed'));
  });

  test('the nearest recording of the same endpoint, with each differing field: changed, added, removed', () => {
    const message = failureOf(run, 'changed fields');
    expect(message).toMatch(/ {2}nearest: {2}recordings\/tests\/m\.test\.js\/changed_fields-[0-9a-f]{8}\/[0-9a-f]{16}\.json \(same test and endpoint; 4 fields differ, recorded → now\)/);
    expect(message).toContain('    body.messages[2].content: "foo" → "bar"\n');
    expect(message).toContain('    body.seed: added 42\n');
    expect(message).toContain('    body.temperature: 0.7 → 0.2\n');
    expect(message).toContain('    body.top_p: removed (was 1)\n');
  });

  test('a long value changed after its first 60 characters shows the changed words, both sides cut alike', () => {
    const message = failureOf(run, 'long value');
    const line = message.split('\n').find((l) => l.startsWith('    body.messages[0].content: '))!;
    const [from, to] = line.replace('    body.messages[0].content: ', '').split(' → ');
    expect(from).toMatch(/^….* in three sentences, for a child\."$/);
    expect(to).toMatch(/^….* in five sentences, for a child\."$/);
    expect(from.length).toBeLessThanOrEqual(60);
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

  test('a renamed test names the ids recorded for the same test file, nearest first', () => {
    const lines = failureOf(run, 'asks about the rain').split('\n');
    const hint = lines.findIndex((l) => l.includes('recorded for the same test file under other ids'));
    expect(hint).toBeGreaterThan(-1);
    expect(lines[hint + 1]).toBe('    tests/m.test.js::asks about rain');
  });

  test('the miss is printed once: the SDK error is a one-line pointer, the test failure the full message without a stack', () => {
    const [sdkError, miss] = run.tests.find((t) => t.fullName === 'changed fields')!.failureMessages;
    const pointer = /^\w*Error: 500 jest-replay: no recording for POST \/v1\/chat\/completions \(replay mode\)\. Not a server error:/;
    expect(sdkError.split('\n')[0]).toMatch(pointer);
    expect(sdkError).not.toContain('test id:');
    expect(miss.split('\n')[0]).toBe('jest-replay: no recording for this request (mode: replay).');
    expect(miss).toContain('  test id:  tests/m.test.js::changed fields');
    expect(miss).not.toMatch(/^\s+at /m);
  });

  test('the summary counts the misses', () => {
    expect(run.stderr).toContain('jest-replay: replay mode — 1 replayed, 0 recorded, 6 missing, 0 unused (recordings in recordings/)');
  });
});
