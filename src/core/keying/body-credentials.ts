import type { StoredRequest } from '../recording/format';
import { isObject, JSON_STRING, type Json, parseJson } from '../util/json';
import { isCredentialField, isCredentialParam } from './credential-names';
import { bodyText, type RequestBody, storedBody } from './request';
import type { Credential } from './secrets';

/**
 * Credentials a request carries in its body: search APIs take `api_key` in JSON, OAuth token
 * requests send `client_secret` in a form. Each one's string value is replaced by a marker in the
 * body as stored, keyed and shown (the `redact` hook included), so no run's value reaches disk and
 * runs with different values key alike; the server still gets the real request. The field stays,
 * so a request with a credential keys apart from one without.
 */
export const REDACTED = '<redacted>';

const MULTIPART = /^multipart\/form-data/i;
const FORM = /^application\/x-www-form-urlencoded/i;

interface Masked<T> {
  masked: T;
  /** The values replaced, each named by where the request carried it (`body field api_key`). */
  found: Credential[];
}

/** Whether a value is one to replace: a non-empty string not replaced already. */
const isSecretValue = (value: unknown): value is string => typeof value === 'string' && value !== '' && value !== REDACTED;

const bodyField = (name: string, value: string): Credential => ({ source: `body field ${name}`, value });

/**
 * A parsed JSON value (its numbers plain or lossless) with the string value of every member named as a
 * credential replaced, at any depth; the value itself when it has none, so a body without one costs a walk.
 */
function maskJsonValue(value: unknown, found: Credential[]): unknown {
  if (Array.isArray(value)) {
    const masked = value.map((item) => maskJsonValue(item, found));
    return masked.some((item, i) => item !== value[i]) ? masked : value;
  }
  // Plain objects only: a lossless number is an object too, and holds no field.
  if (!isObject(value) || Object.getPrototypeOf(value) !== Object.prototype) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [name, member] of Object.entries(value)) {
    const secret = isCredentialField(name) && isSecretValue(member);
    if (secret) found.push(bodyField(name, member));
    const masked = secret ? REDACTED : maskJsonValue(member, found);
    if (masked !== member) (copy ??= { ...value })[name] = masked;
  }
  return copy ?? value;
}

/**
 * JSON text that JSON.parse would change (see `parseRequestBody`) with the string value of every member
 * named as a credential replaced, however often a name is given (JSON.parse would keep only the last).
 * Works on the text's string tokens: a member's name is a string followed by `:`, its value the string
 * right after that.
 */
function maskJsonText(text: string): Masked<string> {
  const found: Credential[] = [];
  const colon = /\s*:\s*/y;
  let masked = '';
  let copied = 0;
  let name = '';
  let valueAt = -1;
  for (const token of text.matchAll(JSON_STRING)) {
    const start = token.index;
    const end = start + token[0].length;
    if (start === valueAt) {
      const value: unknown = JSON.parse(token[0]);
      if (isCredentialField(name) && isSecretValue(value)) {
        found.push(bodyField(name, value));
        masked += `${text.slice(copied, start)}${JSON.stringify(REDACTED)}`;
        copied = end;
      }
      continue;
    }
    colon.lastIndex = end;
    if (colon.test(text)) [name, valueAt] = [JSON.parse(token[0]) as string, colon.lastIndex];
  }
  return { masked: masked + text.slice(copied), found };
}

const formDecoded = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
};

/** A urlencoded form with its credential fields' values replaced; named as query parameters are, since it is one. */
function maskForm(text: string): Masked<string> {
  const found: Credential[] = [];
  const pairs = text.split('&').map((pair) => {
    const at = pair.indexOf('=');
    const [name, value] = [formDecoded(pair.slice(0, at)), formDecoded(pair.slice(at + 1))];
    if (at === -1 || !isCredentialParam(name) || !isSecretValue(value)) return pair;
    found.push({ source: `form field ${name}`, value });
    return `${pair.slice(0, at)}=${encodeURIComponent(REDACTED)}`;
  });
  return { masked: pairs.join('&'), found };
}

/** The fields of a multipart body (see `readRequestBody`) with the values of credential fields replaced. */
function maskParts(parts: Json[]): Masked<Json[]> {
  const found: Credential[] = [];
  const masked = parts.map((part) => {
    if (!isObject(part) || typeof part.name !== 'string' || !isCredentialField(part.name) || !isSecretValue(part.value)) return part;
    found.push({ source: `multipart field ${part.name}`, value: part.value });
    return { ...part, value: REDACTED };
  });
  return { masked, found };
}

/** A request body without the credentials it carries, and those credentials. Cheap for a body that names none. */
export function withoutBodyCredentials(body: RequestBody, contentType: string): Masked<RequestBody> {
  if (body.kind === 'json') {
    const { value } = body;
    if (MULTIPART.test(contentType) && isObject(value) && Array.isArray(value.multipart)) {
      const { masked, found } = maskParts(value.multipart);
      return { masked: { kind: 'json', value: { ...value, multipart: masked } }, found };
    }
    const found: Credential[] = [];
    const masked = maskJsonValue(value, found) as Json;
    return { masked: masked === value ? body : { kind: 'json', value: masked }, found };
  }
  if (body.kind === 'bytes') {
    const text = bodyText(body.bytes);
    // JSON among bytes is JSON that JSON.parse would change (see `parseRequestBody`): it stays bytes.
    const asText = FORM.test(contentType) ? maskForm(text) : /^\s*[[{]/.test(text) && parseJson(text) ? maskJsonText(text) : undefined;
    if (asText && asText.found.length > 0) {
      return { masked: { kind: 'bytes', bytes: Buffer.from(asText.masked, 'utf8') }, found: asText.found };
    }
  }
  return { masked: body, found: [] };
}

/**
 * The body of a stored request (another tool's, or an older recording) as this recorder stores it, and
 * the credentials it held. A body read losslessly (see `parseLossless`) keeps its numbers as written.
 */
export function withoutStoredBodyCredentials(request: StoredRequest): Masked<unknown> {
  const stored = request.body;
  const body: RequestBody =
    stored === null || stored === undefined
      ? { kind: 'empty' }
      : typeof stored === 'string'
        ? { kind: 'bytes', bytes: Buffer.from(stored, 'utf8') }
        : { kind: 'json', value: stored as Json };
  const contentType = Object.entries(request.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  const { masked, found } = withoutBodyCredentials(body, contentType);
  return { masked: found.length > 0 ? storedBody(masked) : stored, found };
}
