import { carriesPlaceholder, KEY_VARIABLES, PLACEHOLDER_KEY, setPlaceholderKeys } from '../../src/core/keying/placeholder-keys';

describe('placeholder keys', () => {
  it('are given to the unset and empty key variables only', () => {
    const env: Record<string, string | undefined> = { OPENAI_API_KEY: '', ANTHROPIC_API_KEY: 'sk-ant-own', PATH: '/bin' };
    const set = setPlaceholderKeys(env);
    expect(set).toEqual(KEY_VARIABLES.filter((name) => name !== 'ANTHROPIC_API_KEY'));
    expect(env.OPENAI_API_KEY).toBe(PLACEHOLDER_KEY);
    expect(env.ANTHROPIC_API_KEY).toBe('sk-ant-own');
    expect(env.PATH).toBe('/bin');
  });

  it('are found in any header or in the URL', () => {
    const url = 'https://api.example.test/v1/chat';
    expect(carriesPlaceholder(new Request(url, { headers: { authorization: `Bearer ${PLACEHOLDER_KEY}` } }))).toBe(true);
    expect(carriesPlaceholder(new Request(url, { headers: { 'x-goog-api-key': PLACEHOLDER_KEY } }))).toBe(true);
    expect(carriesPlaceholder(new Request(`${url}?key=${PLACEHOLDER_KEY}`))).toBe(true);
    expect(carriesPlaceholder(new Request(url, { headers: { authorization: 'Bearer sk-real' } }))).toBe(false);
  });
});
