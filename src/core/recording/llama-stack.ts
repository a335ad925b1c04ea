import type { Recording } from './format';
import { isObject, type Json } from '../util/json';
import { isSharedEndpoint } from '../keying/key';
import type { RequestBody } from '../keying/request';
import { type KeyRules, keyUnder } from '../keying/rules';

/**
 * llama-stack patches SDK methods rather than HTTP, so it records every call as POST and with
 * the URL path doubled (`/v1/v1/chat/completions`). What a TypeScript client sends is the
 * recorded `endpoint` with the method the endpoint really uses.
 */
const GET_ENDPOINTS = [/(^|\/)v1\/models$/, /^\/api\/(tags|ps)$/];

export function httpMethodOf(endpoint: string, recordedMethod: string): string {
  return GET_ENDPOINTS.some((pattern) => pattern.test(endpoint)) ? 'GET' : recordedMethod.toUpperCase();
}

/**
 * The JSON body the Python SDK put on the wire. llama-stack records the SDK call's keyword
 * arguments, and `extra_body` is not a field: the SDK merges its fields into the body.
 */
export function wireBody(body: unknown): unknown {
  if (!isObject(body) || !('extra_body' in body)) return body;
  const { extra_body: extra, ...fields } = body;
  return { ...fields, ...(isObject(extra) ? extra : {}) };
}

/**
 * The request a TypeScript client sends for a llama-stack recording, and its key in this project: under the
 * project's key rules, for the recording's test id or `testId`.
 */
export function keyOfLlamaStackRecording(
  recording: Recording,
  rules: KeyRules = {},
  testId = recording.test_id,
): { method: string; endpoint: string; key: string; shared: boolean } {
  const endpoint = recording.request.endpoint;
  const method = httpMethodOf(endpoint, recording.request.method);
  const url = new URL(endpoint, 'http://llama-stack.invalid');
  const shared = isSharedEndpoint(method, url.pathname);
  const sent = wireBody(recording.request.body);
  const body: RequestBody = method === 'GET' || isEmptyObject(sent) ? { kind: 'empty' } : { kind: 'json', value: sent as Json };
  return { method, endpoint, key: keyUnder(rules, { method, url, body }, testId), shared };
}

const isEmptyObject = (value: unknown) =>
  value === null || value === undefined || (typeof value === 'object' && Object.keys(value as object).length === 0);
