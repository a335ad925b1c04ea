import { printable, printableLines } from '../../src/core/util/printable';

describe('printable', () => {
  it.each([
    ['\u001b[31mred\u001b[0m', '\\x1b[31mred\\x1b[0m'],
    ['bell\u0007 nul\u0000 del\u007f', 'bell\\x07 nul\\x00 del\\x7f'],
    ['a\nb\r\tc', 'a\\nb\\r\\tc'],
    ['csi\u009b2J', 'csi\\x9b2J'],
    ['abc\u202edcba\u2066', 'abc\\u202edcba\\u2066'],
  ])('escapes what a terminal would act on in %j', (text, expected) => {
    expect(printable(text)).toBe(expected);
  });

  it('leaves ordinary text, Unicode included, as it is', () => {
    expect(printable('tests/a.test.ts::café — 日本 ✓ "quoted" \\path')).toBe('tests/a.test.ts::café — 日本 ✓ "quoted" \\path');
  });

  it('printableLines keeps line breaks and escapes the rest of each line', () => {
    expect(printableLines('one \u001b[2J\ntwo\r')).toBe('one \\x1b[2J\ntwo\\r');
  });
});
