import { editDistance, nearest } from '../../src/core/util/nearest';

describe('did-you-mean suggestions', () => {
  test('edit distance', () => {
    expect(editDistance('ignoreHost', 'ignoreHosts')).toBe(1);
    expect(editDistance('dri', 'dir')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
  });

  test('only plausible typos, nearest first, case-insensitively', () => {
    expect(nearest('ignorehost', ['dir', 'ignoreHosts', 'timing'])).toEqual(['ignoreHosts']);
    expect(nearest('normaliser', ['normalizers', 'recordTiming'])).toEqual(['normalizers']);
    expect(nearest('colour', ['dir', 'timing'])).toEqual([]);
  });

  test('all candidates, nearest first, when asked', () => {
    expect(nearest('chat streams', ['models', 'chat stream', 'chat'], { all: true })).toEqual(['chat stream', 'chat', 'models']);
  });
});
