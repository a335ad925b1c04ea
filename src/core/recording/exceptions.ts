import type { TransportFailure } from './codec';
import type { ExceptionData, StoredResponse } from './format';
import { isObject } from '../util/json';

/**
 * llama-stack's exception records: written for a transport failure, read back as the HTTP status,
 * the transport failure or the error body they stand for.
 */

/** llama-stack's exception record for a transport failure. */
export function exceptionFields(failure: TransportFailure): Pick<StoredResponse, 'is_exception' | 'exception_data' | 'exception_message'> {
  const exception: ExceptionData = {
    category: 'network',
    type: failure.kind === 'timeout' ? 'APITimeoutError' : 'APIConnectionError',
    message: failure.message,
  };
  if (failure.code) exception.code = failure.code;
  return { is_exception: true, exception_data: exception, exception_message: failure.message };
}

/**
 * Python built-ins that llama-stack's server answers with an HTTP status (its exception map), so a
 * client sees them as that status; its network ones (ConnectionError, TimeoutError) stay failures.
 */
const BUILTIN_STATUS: Record<string, number> = {
  ValueError: 400,
  AuthenticationRequiredError: 401,
  PermissionError: 403,
  AccessDeniedError: 403,
  NotImplementedError: 501,
};
/** How the openai SDK words an HTTP error; older llama-stack files keep only that text, no `exception_data`. */
const STATUS_IN_MESSAGE = /^Error code: (\d{3}) - /;

/** The HTTP status a recorded exception stands for, if it stands for one. */
export function exceptionStatus(data: ExceptionData, message: string): number | undefined {
  if (typeof data.status_code === 'number') return data.status_code;
  if (data.category === 'builtin') return BUILTIN_STATUS[String(data.type)];
  const legacy = data.type === undefined ? STATUS_IN_MESSAGE.exec(message) : null;
  return legacy ? Number(legacy[1]) : undefined;
}

/**
 * A transport failure recorded by this project or by llama-stack (which records SDK exceptions).
 * After part of a stream, any exception but an SSE error event (`APIError`) is the connection
 * breaking (httpx's `RemoteProtocolError`, `ReadError`…).
 */
export function transportFailure(data: ExceptionData, message: string, midStream: boolean): TransportFailure | undefined {
  const type = String(data.type ?? '');
  if (data.category !== 'network' && !/Connect|Timeout/.test(type) && !(midStream && type !== 'APIError')) return undefined;
  const failure: TransportFailure = { kind: /Timeout/.test(type) ? 'timeout' : 'network', message };
  if (typeof data.code === 'string') failure.code = data.code;
  return failure;
}

/** The JSON error a server sends for a recorded exception, as the SDK that recorded it read it. */
export function errorBody(data: ExceptionData, message: string): unknown {
  // Ollama answers `{"error": "<text>"}`; its Python SDK adds " (status code: N)" to the text.
  if (data.provider === 'ollama') return { error: message.replace(/ \(status code: \d+\)$/, '') };
  // The openai SDK keeps the inner `error` object as the exception's body.
  const detail = data.body ?? { message };
  return isObject(detail) && 'error' in detail ? detail : { error: detail };
}
