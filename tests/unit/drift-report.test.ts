import * as path from 'node:path';
import type { Recording } from '../../src/core/recording/format';
import { formatDriftJson, formatDriftMarkdown, formatDriftText, summaryLine } from '../../src/core/drift/format';
import { resolveDriftOptions } from '../../src/core/drift/options';
import { driftReport, type DriftReport } from '../../src/core/drift/report';
import type { DriftNote, RequestNote } from '../../src/core/drift/scratch';
import { COMMENT_LIMIT } from '../../src/core/util/markdown';

/** The drift report: requests compared, their changes grouped once each, and printed for a terminal, a comment, a tool. */

const dir = path.resolve('/p/recordings');
const liveDir = path.resolve('/p/drift/live');
const recording = (body: unknown, status?: number): Recording => ({
  test_id: 't',
  request: { method: 'POST', url: 'http://h/v1/chat/completions', headers: {}, body: {}, endpoint: '/v1/chat/completions', model: 'm' },
  response: { body, is_streaming: false, ...(status ? { status } : {}) },
  id_normalization_mapping: {},
});
const answer = (usage: Record<string, unknown>) => ({
  object: 'chat.completion',
  model: 'm',
  choices: [{ message: { content: 'x' } }],
  usage,
});

/** Files by path: recordings under `dir`, live exchanges under `liveDir`. */
function filesOf(contents: Record<string, Recording>) {
  return { dir, liveDir, read: (file: string) => contents[file], shown: (file: string) => path.relative(path.resolve('/p'), file) };
}

const request = (name: string, extra: Partial<RequestNote> = {}): RequestNote => ({
  request: 'POST http://127.0.0.1:4000/v1/chat/completions',
  ordinal: 1,
  recordings: [`${name}.json`],
  live: `${name}.json`,
  ...extra,
});

describe('driftReport', () => {
  const contents = {
    [path.join(dir, 'a.json')]: recording(answer({ prompt_tokens: 1 })),
    [path.join(liveDir, 'a.json')]: recording(answer({ input_tokens: 1 })),
    [path.join(dir, 'b.json')]: recording(answer({ prompt_tokens: 2 })),
    [path.join(liveDir, 'b.json')]: recording(answer({ input_tokens: 2 })),
    [path.join(dir, 'c.json')]: recording(answer({ prompt_tokens: 3 })),
    [path.join(liveDir, 'c.json')]: recording({ error: 'gone' }, 404),
    [path.join(liveDir, 'd.json')]: recording(answer({})),
  };
  const notes: DriftNote[] = [
    {
      testFile: 'a.test.js',
      recordings: 'recordings',
      scopes: [
        { id: 'a::one', status: 'passed', requests: [request('a')] },
        {
          id: 'a::two',
          status: 'passed',
          requests: [request('b'), request('', { recordings: [], live: 'd.json', ordinal: 2, unkeyed: ['  expected: recordings/d.json'] })],
        },
      ],
    },
    {
      testFile: 'b.test.js',
      recordings: 'recordings',
      scopes: [
        { id: 'b::gone', status: 'failed', requests: [request('c')] },
        {
          id: 'b::quiet',
          status: 'failed',
          requests: [request('e', { live: undefined, problem: 'no response: connect ECONNREFUSED 127.0.0.1:9' })],
        },
      ],
    },
  ];

  test('each change once, with every request it touches and its values, the widest first; the rest counted', () => {
    const report = driftReport(notes, filesOf(contents), resolveDriftOptions());
    expect(report.groups.map((g) => [`${g.path}: ${g.change}`, g.occurrences.map((o) => o.testId)])).toEqual([
      ['body.usage.input_tokens: field added', ['a::one', 'a::two']],
      ['body.usage.prompt_tokens: field removed', ['a::one', 'a::two']],
      ['request: no longer keys to any recording', ['a::two']],
      ['status: status changed: 200 → 404', ['b::gone']],
    ]);
    expect(report.groups[0].occurrences[0]).toEqual({
      testId: 'a::one',
      request: 'POST http://127.0.0.1:4000/v1/chat/completions',
      ordinal: 1,
      recordingFile: 'recordings/a.json',
      liveFile: 'drift/live/a.json',
      liveValue: '1',
    });
    expect(report.groups[2].occurrences[0]).toMatchObject({
      ordinal: 2,
      liveFile: 'drift/live/d.json',
      details: ['  expected: recordings/d.json'],
    });
    expect(report).toMatchObject({ requests: 5, drifted: 4, tests: 4, driftedTests: 3, failed: ['b::gone', 'b::quiet'], text: false });
    expect(report.unchecked).toEqual([
      {
        testId: 'b::quiet',
        request: 'POST http://127.0.0.1:4000/v1/chat/completions',
        ordinal: 1,
        reason: 'no response: connect ECONNREFUSED 127.0.0.1:9',
      },
    ]);
  });

  test('ignored paths leave their changes out, and a request whose only drifts are ignored has none', () => {
    const report = driftReport(notes, filesOf(contents), resolveDriftOptions({ ignore: ['body.usage'] }));
    expect(report.groups.map((g) => g.path)).toEqual(['request', 'status']);
    expect(report).toMatchObject({ drifted: 2, driftedTests: 2 });
  });
});

const commands = { again: 'npx jest-replay drift --last', accept: 'npx jest-replay drift --accept', liveDir: 'drift/live' };
const base: DriftReport = { groups: [], requests: 3, drifted: 0, tests: 2, driftedTests: 0, unchecked: [], failed: [], text: false };
const occurrence = (testId: string, values: { recordedValue?: string; liveValue?: string } = {}) => ({
  testId,
  request: 'POST http://h:1/v1/x?a=1',
  ordinal: 1,
  ...values,
});

describe('formatting a drift report', () => {
  test('the summary line, with and without drift', () => {
    expect(summaryLine(base)).toBe('jest-replay drift: no drift in 2 tests against the live API (3 requests checked; text not compared)');
    const drifted = {
      ...base,
      groups: [{ path: 'status', change: 'status changed: 200 → 500', occurrences: [occurrence('t')] }],
      drifted: 1,
      driftedTests: 1,
      text: true,
    };
    expect(summaryLine(drifted)).toBe(
      'jest-replay drift: 1 change in 1 of 2 tests against the live API (1 of 3 requests drifted; text compared)',
    );
  });

  test('text: each change, each request with its values on one line, escaped', () => {
    const report = {
      ...base,
      groups: [
        {
          path: 'body.a',
          change: 'type changed: number → string',
          occurrences: [occurrence('t\x1b[31m\nx', { recordedValue: '1', liveValue: '"1"' }), { ...occurrence('u'), ordinal: 2 }],
        },
      ],
      drifted: 2,
      driftedTests: 2,
    };
    expect(formatDriftText(report, commands)).toBe(
      [
        'body.a: type changed: number → string (2 requests in 2 tests)',
        '  t\\x1b[31m\\nx  POST /v1/x?a=1: 1 → "1"',
        '  u  POST /v1/x?a=1 #2',
        '',
        'live exchanges in drift/live/ (jest-replay show <file> prints one)',
        "accept a test's live exchanges as its recordings: npx jest-replay drift --accept '<test id>'",
        'jest-replay drift: 1 change in 2 of 2 tests against the live API (2 of 3 requests drifted; text not compared)',
      ].join('\n'),
    );
  });

  test("Markdown: what comes from the answers is code, a block its lines cannot close; cut to a comment's size, saying so", () => {
    const sneaky = {
      path: 'body.`x`',
      change: 'field added',
      occurrences: [occurrence('# heading <b>@someone</b>', { liveValue: '"```"' })],
    };
    const markdown = formatDriftMarkdown({ ...base, groups: [sneaky], drifted: 1, driftedTests: 1 }, commands);
    expect(markdown).toContain(
      '**`` body.`x`: field added ``** — 1 request in 1 test\n\n````text\n# heading <b>@someone</b>  POST /v1/x?a=1: now "```"\n````',
    );
    const many = Array.from({ length: 3000 }, (_, i) => ({
      path: `body.f${i}`,
      change: 'field removed',
      occurrences: [occurrence(`test ${i}`, { recordedValue: '"x"' })],
    }));
    const capped = formatDriftMarkdown({ ...base, groups: many, drifted: 3000, driftedTests: 3000 }, commands);
    expect(capped.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(capped).toMatch(
      /\n\n\*Truncated to fit a comment: \d+ sections \(\d+ characters\) not shown\. See them all with `npx jest-replay drift --last`\.\*$/,
    );
    expect(capped.split('```text').length).toBe(capped.split('\n```\n').length);
  });

  test('JSON: the counts, each change with its requests, what was not checked and the tests that failed', () => {
    const report = {
      ...base,
      groups: [{ path: 'model', change: 'model changed', occurrences: [occurrence('t', { recordedValue: '"a"', liveValue: '"b"' })] }],
      failed: ['t'],
    };
    expect(JSON.parse(formatDriftJson(report))).toEqual({
      summary: summaryLine(report),
      requests: 3,
      drifted: 0,
      tests: 2,
      driftedTests: 0,
      text: false,
      changes: [{ path: 'model', change: 'model changed', requests: [occurrence('t', { recordedValue: '"a"', liveValue: '"b"' })] }],
      notChecked: [],
      failedTests: ['t'],
    });
  });
});
