import { describeDifference, diffJson, shorten } from '../../src/core/util/diff';

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
