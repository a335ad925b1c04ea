import { ignoreFields, ignorePathProblem } from '../../src/core/keying/match-ignore';

const body = {
  model: 'gpt-4o',
  user: 'alice',
  metadata: { session: 's1', sent_at: '2026-01-01', nested: { trace: 't1' } },
  messages: [
    { role: 'user', content: 'hi', name: 'alice' },
    { role: 'assistant', content: 'hello', name: 'bot' },
  ],
};

describe('ignoreFields', () => {
  test('a dot path removes that field only', () => {
    expect(ignoreFields(body, ['body.user'])).toEqual({ model: body.model, metadata: body.metadata, messages: body.messages });
  });

  test('* matches every key of one level, not deeper', () => {
    expect(ignoreFields(body, ['body.metadata.*'])).toEqual({ ...body, metadata: {} });
    expect(ignoreFields({ a: { b: { c: 1 }, d: 2 } }, ['body.*.c'])).toEqual({ a: { b: { c: 1 }, d: 2 } });
  });

  test('* and numbers match array elements', () => {
    expect(ignoreFields(body, ['body.messages.*.name'])).toEqual({
      ...body,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    });
    expect(ignoreFields(body, ['body.messages.1'])).toEqual({ ...body, messages: [body.messages[0]] });
  });

  test('** matches any number of levels, none included', () => {
    const traced = { trace: 1, a: { trace: 2, b: [{ trace: 3, keep: true }] } };
    expect(ignoreFields(traced, ['body.**.trace'])).toEqual({ a: { b: [{ keep: true }] } });
  });

  test('paths that match nothing, or reach into a scalar, leave the body as it is', () => {
    expect(ignoreFields(body, ['body.absent', 'body.user.name', 'body.messages.7'])).toEqual(body);
    expect(ignoreFields(null, ['body.user'])).toBeNull();
    expect(ignoreFields('text', ['body.*'])).toBe('text');
  });

  test('several paths apply together, and the input is not changed', () => {
    const before = structuredClone(body);
    const keyed = ignoreFields(body, ['body.user', 'body.metadata.sent_at']);
    expect(keyed).toEqual({ model: body.model, metadata: { session: 's1', nested: { trace: 't1' } }, messages: body.messages });
    expect(body).toEqual(before);
  });
});

describe('ignorePathProblem', () => {
  test.each(['body.user', 'body.metadata.*', 'body.messages.0.content', 'body.**.user_id', 'body.*'])('%s is a valid path', (path) => {
    expect(ignorePathProblem(path)).toBeUndefined();
  });

  test.each([
    ['user', 'must start with "body."'],
    ['headers.x-trace', 'must start with "body."'],
    ['body', 'must name a field of the body'],
    ['body.', 'has an empty segment'],
    ['body..user', 'has an empty segment'],
    ['body.metadata.**', 'must not end with **'],
    ['', 'must start with "body."'],
  ])('%j is refused: %s', (path, problem) => {
    expect(ignorePathProblem(path)).toContain(problem);
  });
});
