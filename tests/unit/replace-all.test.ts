import { literalReplacer } from '../../src/core/util/replace-all';

const replacer = (pairs: Record<string, string>) => literalReplacer(new Map(Object.entries(pairs)));
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The same replacement as a regular expression of the needles, longest first (the reference it must agree with). */
const byRegex = (pairs: Record<string, string>) => {
  const needles = Object.keys(pairs).sort((a, b) => b.length - a.length);
  const pattern = new RegExp(needles.map(escape).join('|'), 'g');
  return (text: string) => text.replace(pattern, (found) => pairs[found]);
};

test('every occurrence is replaced, in one pass: what was put in is not searched again', () => {
  expect(replacer({ resp_1: 'rec-1', call_2: 'rec-2' })('resp_1 then call_2, resp_1.')).toBe('rec-1 then rec-2, rec-1.');
  expect(replacer({ a: 'b', b: 'c' })('ab')).toBe('bc');
  expect(replacer({ a: 'aa' })('aaa')).toBe('aaaaaa');
});

test('where needles overlap, the one starting first wins, then the longest', () => {
  expect(replacer({ ab: 'X', bc: 'Y' })('abc')).toBe('Xc');
  expect(replacer({ a: '1', ab: '2', abc: '3' })('abcab')).toBe('32');
  expect(replacer({ abcd: 'X', bc: 'Y' })('abce')).toBe('aYe');
  expect(replacer({ id_1: 'A', id_10: 'B' })('id_10 id_1 id_100')).toBe('B A B0');
});

test('a text without needles is returned as it is', () => {
  const text = 'nothing to see';
  expect(replacer({ resp_1: 'rec-1' })(text)).toBe(text);
  expect(replacer({})(text)).toBe(text);
  expect(replacer({ x: 'y' })('')).toBe('');
});

test('needles and texts are compared by UTF-16 code units, as String#split does', () => {
  expect(replacer({ 'é': 'e', '😀': ':)' })('café 😀 e\u0301')).toBe('cafe :) e\u0301');
  expect(replacer({ '\ud83d': '?' })('😀')).toBe('?\ude00');
});

test('agrees with a regular expression of the needles on random texts', () => {
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const word = (length: number) => Array.from({ length }, () => 'abc'[random(3)]).join('');
  for (let round = 0; round < 200; round++) {
    const pairs = Object.fromEntries(Array.from({ length: 1 + random(6) }, (_, i) => [word(1 + random(4)), `<${i}>`]));
    const text = word(random(40));
    expect(replacer(pairs)(text)).toBe(byRegex(pairs)(text));
  }
});
