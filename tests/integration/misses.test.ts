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
test('volatile values', async () => {
  // Values an app mints on every call: re-recording cannot make them match.
  const sent = ${changed
    ? "{ at: '2024-06-02T11:30:00.123Z', id: '6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b' }"
    : "{ at: '2024-05-01T10:00:00Z', id: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed' }"};
  await ask('weather', { metadata: { sent_at: sent.at, request_id: sent.id } });
});
test('terminal \u001b[2J\u009b31mescapes\u202e', async () => {
  await ask(${changed ? "'\u009b31m changed \u2066'" : "'plain'"});
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
    // Started as pnpm starts it, with a config named on the command line: the command to copy says so.
    run = await project.run({ npm_config_user_agent: 'pnpm/9.12.0 npm/? node/v20.19.0 linux x64' }, ['--config', 'jest.config.js']);
    verbose = await project.run({ JEST_REPLAY_VERBOSE: '1' }, ['-t', '^changed fields$']);
  });
  afterAll(() => project.remove());
  let verbose: Awaited<ReturnType<FixtureProject['run']>>;

  test('every test misses', () => {
    expect(Object.values(statusOf(run))).toEqual(Array(8).fill('failed'));
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

  test('a miss is one short failure: jest-replay\'s message alone, at most 15 lines, with the one command to fix it', () => {
    const [miss, ...others] = run.tests.find((t) => t.fullName === 'changed fields')!.failureMessages;
    expect(others).toEqual([]);
    expect(miss.split('\n')[0]).toBe('jest-replay: no recording for this request (mode: replay).');
    expect(miss).toContain('  test id:  tests/m.test.js::changed fields');
    expect(miss).not.toMatch(/^\s+at /m);
    expect(miss).not.toContain('record-if-missing');
    expect(miss.trimEnd().split('\n').length).toBeLessThanOrEqual(15);
  });

  test('the command to copy starts Jest as the run was started: the package manager\'s runner, the same --config', () => {
    const command = "RECORD=1 pnpm exec jest --config jest.config.js tests/m.test.js -t '^changed fields$'";
    expect(failureOf(run, 'changed fields')).toContain(`Record it with real credentials:\n  ${command}`);
  });

  test('JEST_REPLAY_VERBOSE=1 gives the long form: jest-replay first, then the client\'s own error, and both ways to record', () => {
    const [miss, sdkError] = verbose.tests.find((t) => t.fullName === 'changed fields')!.failureMessages;
    expect(miss.split('\n')[0]).toBe('jest-replay: no recording for this request (mode: replay).');
    expect(miss).toContain('or record only what is missing: JEST_REPLAY_MODE=record-if-missing npx jest tests/m.test.js');
    // The openai SDK's one line: a 400 it does not retry, pointing at jest-replay's failure.
    const pointer = /^\w*Error: 400 jest-replay: no recording for POST \/v1\/chat\/completions \(replay mode\)\. Not a server error:/;
    expect(sdkError.split('\n')[0]).toMatch(pointer);
  });

  test('a miss whose only differences look volatile says re-recording cannot help, and gives the matchIgnore entry', () => {
    const message = failureOf(run, 'volatile values');
    expect(message).toContain('    body.metadata.sent_at: "2024-05-01T10:00:00Z" → "2024-06-02T11:30:00.123Z"');
    expect(message).toContain('Re-recording alone cannot help: every difference looks volatile (UUID, timestamp), new on every run.');
    expect(message).toContain('  matchIgnore: ["body.metadata.request_id","body.metadata.sent_at"]');
    expect(message).not.toContain('Record it with real credentials');
  });

  test('test ids and values are printed with what a terminal would act on escaped', () => {
    const message = run.tests.find((t) => t.fullName.startsWith('terminal'))!.failureMessages.join('\n');
    expect(message).toContain('  test id:  tests/m.test.js::terminal \\x1b[2J\\x9b31mescapes\\u202e');
    expect(message).toContain('    body.messages[0].content: "plain" → "\\x9b31m changed \\u2066"');
    expect(message).not.toMatch(/[\u001b\u009b\u202e\u2066]/);
  });

  test('the summary counts the misses', () => {
    // Unused: the renamed test's recording (no test has its id now); the failing tests keep theirs.
    expect(run.stderr).toContain('jest-replay: replay mode — 1 replayed, 0 recorded, 8 missing, 1 unused (recordings in recordings/)');
  });
});

test('in a run of several projects, the command to copy selects the test\'s project', async () => {
  const project = new FixtureProject(
    'misses-projects',
    {
      'api/m.test.js': `${OPENAI_CLIENT}\ntest('asks', async () => { await ask('x'); });\n`,
      'web/n.test.js': "test('renders', () => {});\n",
    },
    {
      projects: [
        { displayName: 'api', preset: 'jest-replay', transform: {}, testMatch: ['<rootDir>/api/**/*.test.js'] },
        { displayName: 'web', preset: 'jest-replay', transform: {}, testMatch: ['<rootDir>/web/**/*.test.js'] },
      ],
    },
  );
  try {
    const run = await project.run();
    expect(failureOf(run, 'asks')).toContain("  RECORD=1 npx jest --selectProjects api api/m.test.js -t '^asks$'");
  } finally {
    project.remove();
  }
});
