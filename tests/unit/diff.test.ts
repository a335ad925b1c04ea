import { describeDifference, diffJson, shorten } from '../../src/core/util/diff';
import { explainMiss } from '../../src/core/session/miss';
import type { Recording } from '../../src/core/recording/format';

describe('diffJson', () => {
  it('finds nothing between equal values, whatever the key order', () => {
    expect(diffJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toEqual([]);
  });

  it('names changed, added and removed leaves by path, in key order', () => {
    const recorded = { model: 'gpt-4o', temperature: 0.7, top_p: 1, messages: [{ role: 'user', content: 'foo' }] };
    const now = { model: 'gpt-4o', temperature: 0.2, seed: 42, messages: [{ role: 'user', content: 'bar' }] };
    expect(diffJson(recorded, now, 'body').map(describeDifference)).toEqual([
      'body.messages[0].content: "foo" → "bar"',
      'body.seed: added 42',
      'body.temperature: 0.7 → 0.2',
      'body.top_p: removed (was 1)',
    ]);
  });

  it('compares arrays index by index, extra items added or removed', () => {
    expect(diffJson({ m: [1, 2] }, { m: [1, 3, 4] }).map(describeDifference)).toEqual(['m[1]: 2 → 3', 'm[2]: added 4']);
    expect(diffJson([1, 2], [1]).map(describeDifference)).toEqual(['[1]: removed (was 2)']);
  });

  it('a long value changed after its first 60 characters shows both sides around the first difference, aligned', () => {
    const prompt = (count: string) =>
      `Summarize the following article about the history of the printing press in ${count} sentences, for a child.`;
    const [line] = diffJson({ content: prompt('three') }, { content: prompt('five') }).map(describeDifference);
    const [from, to] = line.replace('content: ', '').split(' → ');
    expect(from).toMatch(/^….*printing press in three sentences, for a child\."$/);
    expect(to).toMatch(/^….*printing press in five sentences, for a child\."$/);
    // Both windows start at the same character, so the eye finds the change by comparing the two.
    expect(from.indexOf('in three')).toBe(to.indexOf('in five'));
    expect(from.length).toBeLessThanOrEqual(60);
  });

  it('a window in the middle of a long value is cut on both sides', () => {
    const text = (word: string) => `${'a'.repeat(100)} ${word} ${'b'.repeat(100)}`;
    const [line] = diffJson(text('old'), text('new')).map(describeDifference);
    const [from, to] = line.replace(': ', '').split(' → ');
    expect(from).toMatch(/^…a+ old b+…$/);
    expect(to).toMatch(/^…a+ new b+…$/);
    expect(from).toHaveLength(60);
  });

  it('a change of type is one changed field; keys that are not identifiers are quoted', () => {
    expect(diffJson({ 'x-y': { a: 1 } }, { 'x-y': [1] }).map(describeDifference)).toEqual(['["x-y"]: {"a":1} → [1]']);
  });
});

describe('shorten', () => {
  it('keeps short values and cuts long ones to 60 characters with …', () => {
    expect(shorten('short')).toBe('"short"');
    const long = shorten('a'.repeat(100));
    expect(long).toHaveLength(60);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('explainMiss', () => {
  const URL_ = 'https://api.openai.com/v1/chat/completions';
  const found = (file: string, body: unknown, method = 'POST', url = URL_) => ({
    file,
    recording: { test_id: 't', request: { method, url, headers: {}, body, endpoint: new URL(url).pathname, model: '' }, response: { body: {}, is_streaming: false }, id_normalization_mapping: {} } as Recording,
  });
  const miss = (body: unknown, ordinal = 1) => ({ method: 'POST', url: new URL(URL_), body, ordinal });
  const show = (file: string) => `rec/${file}`;

  it('says when the test has no recordings at all', () => {
    expect(explainMiss(miss({}), [], show).join('\n')).toContain('this test has no recordings at all');
  });

  it('names the ids recorded for the same test file when the test has none (a renamed test), at most 3', () => {
    const ids = ['t.ts::asks about rain', 't.ts::b', 't.ts::c', 't.ts::d'];
    expect(explainMiss(miss({}), [], show, ids).slice(1)).toEqual([
      '  recorded for the same test file under other ids (nearest first; a renamed test keeps its old id):',
      '    t.ts::asks about rain',
      '    t.ts::b',
      '    t.ts::c',
      '    … and 1 more',
    ]);
  });

  it('says when no recording of the test has the same method and path', () => {
    const others = [found('a.json', {}, 'GET'), found('b.json', {}, 'POST', 'https://api.openai.com/v1/embeddings')];
    expect(explainMiss(miss({}), others, show)).toEqual(['  this test has 2 recordings, none for POST /v1/chat/completions']);
  });

  it('shows the nearest recording (fewest differing fields) and its differences, recorded → now', () => {
    const lines = explainMiss(
      miss({ model: 'gpt-4o', temperature: 0.2, messages: [{ role: 'user', content: 'bar' }] }),
      [
        found('far.json', { model: 'o1', temperature: 0.9, messages: [{ role: 'system', content: 'x' }] }),
        found('near.json', { model: 'gpt-4o', temperature: 0.7, messages: [{ role: 'user', content: 'bar' }] }),
      ],
      show,
    );
    expect(lines).toEqual([
      '  nearest:  rec/near.json (same test and endpoint; 1 field differs, recorded → now)',
      '    body.temperature: 0.7 → 0.2',
    ]);
  });

  it('compares normalized values: floats noise and number spelling are no difference', () => {
    const lines = explainMiss(miss({ t: 0.1 + 0.2, n: 1, s: 'x' }), [found('a.json', { t: 0.3, n: 1.0, s: 'y' })], show);
    expect(lines.slice(1)).toEqual(['    body.s: "y" → "x"']);
  });

  it('lists at most 8 differences and counts the rest', () => {
    const recorded = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}`, i]));
    const now = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}`, i + 100]));
    const lines = explainMiss(miss(now), [found('a.json', recorded)], show);
    expect(lines[0]).toContain('11 fields differ');
    expect(lines).toHaveLength(1 + 8 + 1);
    expect(lines[9]).toBe('    … and 3 more');
  });

  it('an identical recording under other ordinals means a gap in the sequence', () => {
    const body = { model: 'gpt-4o' };
    const lines = explainMiss(miss(body, 1), [found('0123456789abcdef.3.json', body), found('0123456789abcdef.2.json', body)], show);
    expect(lines).toEqual(['  this exact request is recorded as #2, #3 but not as #1: a file of the sequence is missing (deleted, or never committed?)']);
  });
});
