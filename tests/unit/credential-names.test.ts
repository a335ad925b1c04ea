import * as fs from 'node:fs';
import * as path from 'node:path';
import { isCredentialField, isCredentialHeader, isCredentialParam } from '../../src/core/keying/credential-names';

describe('isCredentialHeader', () => {
  test.each([
    'Authorization', 'proxy-authorization', 'Authentication', 'Cookie', 'set-cookie', 'x-api-key', 'api-key', 'apikey', 'x-goog-api-key',
    'X-Amz-Security-Token', 'Ocp-Apim-Subscription-Key', 'X-Auth-Token', 'Private-Token', 'x-functions-key', 'x-api-token',
    'x-rapidapi-key', 'x-subscription-token', 'helicone-auth', 'x-honeycomb-team',
    // Vendor headers named like the common ones.
    'x-openai-api-key', 'dd-api-key', 'x-cohere-apikey', 'x-hasura-admin-secret', 'x-shopify-access-token',
  ])('%s is one', (name) => expect(isCredentialHeader(name)).toBe(true));

  const everyday = ['content-type', 'accept', 'openai-beta', 'anthropic-version', 'idempotency-key', 'x-request-id', 'user-agent', 'x-api-key-id'];
  test.each(everyday)('%s is none', (name) => expect(isCredentialHeader(name)).toBe(false));
});

describe('isCredentialField (JSON and multipart bodies)', () => {
  test.each([
    'api_key', 'apiKey', 'api-key', 'API.KEY', 'password', 'client_secret', 'clientSecret', 'access_token', 'refresh_token', 'token',
    'secret', 'id_token', 'private_key', 'client_assertion',
  ])('%s is one', (name) => expect(isCredentialField(name)).toBe(true));

  const everyday = ['code', 'key', 'auth', 'max_tokens', 'tokens', 'page_token', 'token_count', 'secret_name', 'keys', 'signature'];
  test.each(everyday)('%s is an everyday field', (name) => expect(isCredentialField(name)).toBe(false));
});

describe('isCredentialParam (query parameters, urlencoded forms)', () => {
  const credentials = ['key', 'code', 'auth', 'sig', 'api_key', 'client_secret', 'X-Amz-Security-Token'];
  test.each(credentials)('%s is one', (name) => expect(isCredentialParam(name)).toBe(true));
  test.each(['max_tokens', 'page_token', 'grant_type', 'client_id', 'scope'])('%s is none', (name) => expect(isCredentialParam(name)).toBe(false));
});

describe('the names docs/trust.md promises', () => {
  const trust = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'trust.md'), 'utf8').replace(/\s+/g, ' ');
  /** The `names` between two phrases of the page. */
  const named = (from: string, to: string) => {
    const text = trust.slice(trust.indexOf(from), trust.indexOf(to, trust.indexOf(from)));
    return [...text.matchAll(/`([^`]+)`/g)].map(([, name]) => name);
  };

  test('every credential header it lists is one', () => {
    const headers = named('These request headers are credentials:', 'and any header whose name ends in');
    expect(headers.length).toBeGreaterThan(20);
    for (const name of headers) expect([name, isCredentialHeader(name)]).toEqual([name, true]);
  });

  test('every body field it lists is one, and every everyday field it names is none', () => {
    const fields = named('at any depth, the string value of every field named', '(compared without case');
    expect(fields.length).toBeGreaterThan(20);
    for (const name of fields) expect([name, isCredentialField(name)]).toEqual([name, true]);
    for (const name of named('Everyday fields stay as they are:', 'A body credential is stored')) expect([name, isCredentialField(name)]).toEqual([name, false]);
  });
});
