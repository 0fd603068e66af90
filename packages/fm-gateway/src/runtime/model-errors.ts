/**
 * Every way a Bedrock call can fail, classified once so that retry, failover, the circuit
 * breaker and the fallback ladder all agree on what an error means.
 *
 * | kind               | Bedrock error names                                   | retry here | next region | next model |
 * |--------------------|-------------------------------------------------------|------------|-------------|------------|
 * | throttled          | ThrottlingException, ServiceQuotaExceededException    | yes        | yes         | yes        |
 * | unavailable        | ServiceUnavailableException, InternalServerException, ModelNotReadyException, network faults | yes | yes | yes |
 * | model-timeout      | ModelTimeoutException                                 | no         | yes         | yes        |
 * | model-error        | ModelErrorException                                   | no         | no          | yes        |
 * | stream-error       | ModelStreamErrorException (before the first token)    | yes        | yes         | yes        |
 * | rejected           | ValidationException, AccessDeniedException, ResourceNotFoundException, other 4xx | no | no | no |
 *
 * ModelTimeout is not retried in place: it has already spent most of the deadline, and the
 * same region is likely to time out again, so the next region (or model) gets the remaining
 * time. ModelError says this model failed on this input: another region runs the same model,
 * so only a different model is worth trying. Rejections are the caller's or the operator's
 * fault (bad request, model not enabled, wrong id) and must be loud, never papered over.
 */

export type ModelErrorKind =
  | 'throttled'
  | 'unavailable'
  | 'model-timeout'
  | 'model-error'
  | 'stream-error'
  | 'rejected'
  | 'aborted';

export interface ModelErrorClass {
  readonly kind: ModelErrorKind;
  /** The AWS error name (`ThrottlingException`) or the network error code (`ECONNREFUSED`). */
  readonly code: string;
  readonly message: string;
  /** Retry the same model in the same region after a backoff. */
  readonly retryable: boolean;
  /** Try the same model in the next region. */
  readonly failover: boolean;
  /** Try the next model of the fallback ladder. */
  readonly fallback: boolean;
  /** Counts as a failure for the circuit breaker and the region's health. */
  readonly countsAsFailure: boolean;
}

const byName: Record<string, ModelErrorKind> = {
  ThrottlingException: 'throttled',
  ServiceQuotaExceededException: 'throttled',
  TooManyRequestsException: 'throttled',
  ServiceUnavailableException: 'unavailable',
  InternalServerException: 'unavailable',
  ModelNotReadyException: 'unavailable',
  ModelTimeoutException: 'model-timeout',
  ModelErrorException: 'model-error',
  ModelStreamErrorException: 'stream-error',
  ValidationException: 'rejected',
  AccessDeniedException: 'rejected',
  ResourceNotFoundException: 'rejected',
  ConflictException: 'rejected',
  UnrecognizedClientException: 'rejected',
  ExpiredTokenException: 'rejected',
};

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_STREAM_CANCEL',
  'TimeoutError',
  'RequestTimeout',
]);

const behaviour: Record<ModelErrorKind, Omit<ModelErrorClass, 'kind' | 'code' | 'message'>> = {
  throttled: { retryable: true, failover: true, fallback: true, countsAsFailure: true },
  unavailable: { retryable: true, failover: true, fallback: true, countsAsFailure: true },
  'model-timeout': { retryable: false, failover: true, fallback: true, countsAsFailure: true },
  'model-error': { retryable: false, failover: false, fallback: true, countsAsFailure: false },
  'stream-error': { retryable: true, failover: true, fallback: true, countsAsFailure: true },
  rejected: { retryable: false, failover: false, fallback: false, countsAsFailure: false },
  aborted: { retryable: false, failover: false, fallback: false, countsAsFailure: false },
};

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
  $fault?: unknown;
}

function kindOf(error: ErrorLike, seen = new Set<ErrorLike>()): { kind: ModelErrorKind; code: string } {
  seen.add(error);
  const name = typeof error.name === 'string' ? error.name : '';
  const code = typeof error.code === 'string' ? error.code : '';
  if (name === 'AbortError' || code === 'ABORT_ERR') return { kind: 'aborted', code: 'AbortError' };
  const known = byName[name];
  if (known) return { kind: known, code: name };
  if (networkCodes.has(code)) return { kind: 'unavailable', code };
  if (networkCodes.has(name)) return { kind: 'unavailable', code: name };
  const status = error.$metadata?.httpStatusCode;
  if (status === 429) return { kind: 'throttled', code: name || 'HTTP429' };
  if (status !== undefined && status >= 500) return { kind: 'unavailable', code: name || `HTTP${status}` };
  if (status !== undefined && status >= 400) return { kind: 'rejected', code: name || `HTTP${status}` };
  if (error.$fault === 'server') return { kind: 'unavailable', code: name || 'ServerFault' };
  if (error.$fault === 'client') return { kind: 'rejected', code: name || 'ClientFault' };
  if (error.cause && typeof error.cause === 'object' && !seen.has(error.cause as ErrorLike)) {
    return kindOf(error.cause as ErrorLike, seen);
  }
  // An error with no AWS shape and no network code is a transport fault we cannot name.
  return { kind: 'unavailable', code: name || code || 'UnknownError' };
}

/**
 * True for the error code of a throttled call, as `classifyModelError` names it (and an
 * `AttemptRecord.error` carries it): Bedrock's throttling and quota errors, or an unnamed HTTP 429.
 */
export function isThrottleCode(code: string): boolean {
  return byName[code] === 'throttled' || code === 'HTTP429';
}

/** Classifies anything a model runtime can throw. Never throws. */
export function classifyModelError(error: unknown): ModelErrorClass {
  const shaped: ErrorLike = error !== null && typeof error === 'object' ? (error as ErrorLike) : {};
  const { kind, code } = kindOf(shaped);
  const message = typeof shaped.message === 'string' ? shaped.message : describe(error);
  return { kind, code, message, ...behaviour[kind] };
}

/** `String(value)`, except for values that cannot become a string (a null-prototype object). */
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
