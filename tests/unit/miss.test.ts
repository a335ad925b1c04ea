import { explainMiss, type MissContext, type MissedRequest } from '../../src/core/session/miss';
import { bodyForKey, requestKey } from '../../src/core/keying/key';
import { ignoreFields } from '../../src/core/keying/match-ignore';
import type { BodyNormalizer } from '../../src/core/keying/normalizers';
import type { Recording } from '../../src/core/recording/format';
import { recordingFileName } from '../../src/core/store/paths';
import { volatileKind } from '../../src/core/util/volatile';

const URL_ = 'https://api.openai.com/v1/chat/completions';
const asIs: BodyNormalizer = (body) => body;

/** A recording of `body` named by the key it makes (with `normalize`), as the recorder names it. */
function found(
  body: unknown,
  {
    method = 'POST',
    url = URL_,
    ordinal = 1,
    normalize = asIs,
    file,
  }: { method?: string; url?: string; ordinal?: number; normalize?: BodyNormalizer; file?: string } = {},
) {
  const parsed = new URL(url);
  const key = requestKey({
    method,
    url: parsed,
    body: normalize(bodyForKey({ kind: 'json', value: body as never }), { method, path: parsed.pathname }),
    testId: 't',
  });
  return {
    file: file ?? recordingFileName(key, ordinal),
    recording: {
      test_id: 't',
      request: { method, url, headers: {}, body, endpoint: parsed.pathname, model: '' },
      response: { body: {}, is_streaming: false },
      id_normalization_mapping: {},
    } as Recording,
  };
}
const miss = (body: unknown, ordinal = 1): MissedRequest => ({ method: 'POST', url: new URL(URL_), body, ordinal });
const explain = (request: MissedRequest, recordings: MissContext['recordings'], context: Partial<MissContext> = {}) =>
  explainMiss(request, { recordings, display: (file) => `rec/${file}`, otherIds: [], normalize: asIs, shownDifferences: 8, ...context });

describe('explainMiss', () => {
  it('says when the test has no recordings at all', () => {
    expect(explain(miss({}), []).lines.join('\n')).toContain('this test has no recordings at all');
  });

  it('names the ids recorded for the same test file when the test has none (a renamed test), at most 3', () => {
    const otherIds = ['t.ts::asks about rain', 't.ts::b', 't.ts::c', 't.ts::d'];
    expect(explain(miss({}), [], { otherIds }).lines.slice(1)).toEqual([
      '  recorded for the same test file under other ids (nearest first; a renamed test keeps its old id):',
      '    t.ts::asks about rain',
      '    t.ts::b',
      '    t.ts::c',
      '    … and 1 more',
    ]);
  });

  it('says when no recording of the test has the same method and path', () => {
    const others = [found({}, { method: 'GET' }), found({}, { url: 'https://api.openai.com/v1/embeddings' })];
    expect(explain(miss({}), others).lines).toEqual(['  this test has 2 recordings, none for POST /v1/chat/completions']);
  });

  it('shows the nearest recording (fewest differing fields) and its differences, recorded → now', () => {
    const far = found({ model: 'o1', temperature: 0.9, messages: [{ role: 'system', content: 'x' }] }, { file: 'far.json' });
    const near = found({ model: 'gpt-4o', temperature: 0.7, messages: [{ role: 'user', content: 'bar' }] }, { file: 'near.json' });
    expect(explain(miss({ model: 'gpt-4o', temperature: 0.2, messages: [{ role: 'user', content: 'bar' }] }), [far, near]).lines).toEqual([
      '  nearest:  rec/near.json (same test and endpoint; 1 field differs, recorded → now)',
      '    body.temperature: 0.7 → 0.2',
    ]);
  });

  it('compares normalized values: floats noise and number spelling are no difference', () => {
    expect(explain(miss({ t: 0.1 + 0.2, n: 1, s: 'x' }), [found({ t: 0.3, n: 1.0, s: 'y' })]).lines.slice(1)).toEqual([
      '    body.s: "y" → "x"',
    ]);
  });

  it('compares as the key does: fields matchIgnore leaves out are no difference', () => {
    const normalize: BodyNormalizer = (body) => ignoreFields(body, ['body.user']);
    const lines = explain(miss({ user: 'bob', s: 'x' }), [found({ user: 'alice', s: 'y' }, { normalize })], { normalize }).lines;
    expect(lines.slice(1)).toEqual(['    body.s: "y" → "x"']);
  });

  it('lists at most `shownDifferences` differences and counts the rest', () => {
    const recorded = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}`, i]));
    const now = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}`, i + 100]));
    const { lines } = explain(miss(now), [found(recorded)], { shownDifferences: 5 });
    expect(lines[0]).toContain('11 fields differ');
    expect(lines).toHaveLength(1 + 5 + 1);
    expect(lines[6]).toBe('    … and 6 more');
  });

  it('an identical recording under other ordinals means a gap in the sequence', () => {
    const body = { model: 'gpt-4o' };
    const { lines } = explain(miss(body, 1), [found(body, { ordinal: 3 }), found(body, { ordinal: 2 })]);
    expect(lines).toEqual([
      '  this exact request is recorded as #2, #3 but not as #1: a file of the sequence is missing (deleted, or never committed?)',
    ]);
  });

  it('an identical recording named by another key was keyed under other normalizers or matchIgnore', () => {
    const normalize: BodyNormalizer = (body) => ignoreFields(body, ['body.sent_at']);
    const recorded = found({ model: 'gpt-4o', sent_at: '2024-05-01T10:00:00Z' }, { file: 'old.json' });
    const { lines } = explain(miss({ model: 'gpt-4o', sent_at: '2024-06-02T11:30:00Z' }), [recorded], { normalize });
    expect(lines).toEqual([
      '  nearest:  rec/old.json is this request, but it was recorded under other normalizers or matchIgnore ' +
        '(its name is the key it had then)',
    ]);
  });

  it('when every difference looks volatile, names the matchIgnore paths that would leave them out', () => {
    const recorded = {
      model: 'gpt-4o',
      metadata: { sent_at: '2024-05-01T10:00:00Z' },
      messages: [{ role: 'user', id: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed' }],
    };
    const now = {
      model: 'gpt-4o',
      metadata: { sent_at: '2024-06-02T11:30:00.123Z' },
      messages: [{ role: 'user', id: '6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b' }],
    };
    expect(explain(miss(now), [found(recorded)]).volatile).toEqual({
      paths: ['body.messages.0.id', 'body.metadata.sent_at'],
      kinds: ['UUID', 'timestamp'],
    });
  });

  it('suggests nothing when one difference is not volatile, or cannot be named by matchIgnore', () => {
    const recorded = { sent_at: '2024-05-01T10:00:00Z', prompt: 'a' };
    expect(explain(miss({ sent_at: '2024-06-02T11:30:00Z', prompt: 'b' }), [found(recorded)]).volatile).toBeUndefined();
    expect(explain(miss({ 'a.b': 1717000000 }), [found({ 'a.b': 1714000000 })]).volatile).toBeUndefined();
    expect(explain(miss({ sent_at: 1717000000 }), [found({})]).volatile).toBeUndefined();
  });

  it('escapes what a terminal would act on in recorded and requested values', () => {
    const { lines } = explain(miss({ s: '\u001b[2J\u009b31mnow\u202e' }), [found({ s: 'then' })]);
    expect(lines[1]).toBe('    body.s: "then" → "\\u001b[2J\\x9b31mnow\\u202e"');
  });
});

describe('volatileKind', () => {
  it.each([
    ['2024-05-01T10:00:00Z', '2024-06-02T11:30:00.123+02:00', 'timestamp'],
    ['2024-05-01 10:00', '2024-06-02 11:30', 'timestamp'],
    [1714557600, 1717327800, 'epoch seconds'],
    [1714557600.25, 1717327800.5, 'epoch seconds'],
    ['1714557600123', '1717327800456', 'epoch milliseconds'],
    ['1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed', '6EC0BD7F-11C0-43DA-975E-2A8AD9EBAE0B', 'UUID'],
    ['call_4f8b2a9c1d3e5f7a', 'call_f9921e0c7b5a3d1e', 'random id'],
    ['req-9XkQ2mZr7LpT4vBn', 'req-3HdW8sYq1KcF6jAe', 'random id'],
    ['0123456789abcdef0123', 'fedcba9876543210fedc', 'random id'],
  ])('%j → %j is a %s', (from, to, kind) => {
    expect(volatileKind(from, to)).toBe(kind);
  });

  it.each([
    ['Will it rain in Paris?', 'Will it rain in Lyon?'],
    ['internationalization', 'internationalizations'],
    [42, 43],
    ['2024-05-01', '2024-06-02'],
    ['call_4f8b2a9c1d3e5f7a', 'tool_f9921e0c7b5a3d1e'],
    ['call_4f8b2a9c1d3e5f7a', 'call_f9921e0c7b5a3d1e00'],
    [1714557600, '1717327800'],
    ['2024-05-01T10:00:00Z', 1717327800],
  ])('%j → %j is not', (from, to) => {
    expect(volatileKind(from, to)).toBeUndefined();
  });
});
