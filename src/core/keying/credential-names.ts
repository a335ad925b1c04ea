/**
 * Which names carry credentials: request headers, query parameters and form fields, body fields.
 * One source for every check (storing, keying, the leak search, config, import, verify).
 */

/** Headers whose value is a credential, by exact name (lower case): the common APIs' own. */
const CREDENTIAL_HEADER_NAMES = [
  'authorization', 'proxy-authorization', 'authentication', 'cookie', 'set-cookie',
  'api-key', 'apikey', 'x-api-key', 'x-goog-api-key', 'x-api-token', 'x-auth-token', 'x-auth-key', 'x-access-token',
  'private-token', 'job-token', 'x-amz-security-token', 'ocp-apim-subscription-key', 'x-functions-key',
  'x-rapidapi-key', 'x-subscription-token', 'helicone-auth', 'x-vault-token', 'x-honeycomb-team', 'dd-application-key',
];

/**
 * A credential header's name, as a regular expression source: the names above, and vendor headers
 * named like them (`x-openai-api-key`, `dd-api-key`, `x-hasura-admin-secret`).
 */
export const CREDENTIAL_HEADER = `(?:${CREDENTIAL_HEADER_NAMES.join('|')}|[\\w-]*-(?:api-?key|api-token|access-token|auth-token|secret))`;

const CREDENTIAL_HEADER_NAME = new RegExp(`^${CREDENTIAL_HEADER}$`, 'i');
export const isCredentialHeader = (name: string): boolean => CREDENTIAL_HEADER_NAME.test(name);

/** A name compared without case, `-`, `_` or `.`: `api_key`, `api-key` and `apiKey` alike. */
const folded = (name: string) => name.toLowerCase().replace(/[-_.]/g, '');

/**
 * Body fields that carry credentials (JSON at any depth, multipart fields). An explicit list: `code`,
 * `key` or `auth` are everyday JSON fields (a code-interpreter tool's `code`), and `max_tokens` is no token.
 */
const CREDENTIAL_FIELDS = [
  'apikey', 'xapikey', 'openaiapikey', 'subscriptionkey', 'privatekey', 'secretkey', 'secretaccesskey', 'awssecretaccesskey',
  'token', 'accesstoken', 'authtoken', 'idtoken', 'refreshtoken', 'sessiontoken', 'privatetoken', 'apitoken', 'bearertoken',
  'password', 'passwd', 'secret', 'clientsecret', 'apisecret', 'clientassertion', 'authorization',
];

/**
 * Query parameters, and the fields of a urlencoded form (the same encoding: an OAuth token request's
 * `client_secret`, `code`), that carry credentials: the body fields and the short names URLs use.
 */
const CREDENTIAL_PARAMS = [
  ...CREDENTIAL_FIELDS, 'key', 'auth', 'code', 'jwt', 'sig', 'signature', 'credential', 'awsaccesskeyid',
  'xamzsignature', 'xamzcredential', 'xamzsecuritytoken', 'xgoogsignature', 'xgoogcredential', 'xgoogsecuritytoken',
  'ocpapimsubscriptionkey',
];

export const isCredentialField = (name: string): boolean => CREDENTIAL_FIELDS.includes(folded(name));
export const isCredentialParam = (name: string): boolean => CREDENTIAL_PARAMS.includes(folded(name));
