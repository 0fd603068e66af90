/**
 * Why a batch-inference call failed, as typed errors: what the caller should do differs for each.
 * `retryable` says whether the same call may succeed later unchanged.
 */
export class BatchInferenceError extends Error {
  /** The provider's error name (`ThrottlingException`) or network error code. */
  readonly code: string;
  readonly retryable: boolean;

  constructor(message: string, options: { code: string; retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'BatchInferenceError';
    this.code = options.code;
    this.retryable = options.retryable;
  }
}

/** The request broke a rule of the API (a name, URI, role or timeout out of bounds): fix it, do not retry. */
export class BatchValidationError extends BatchInferenceError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'ValidationException', retryable: false, cause });
    this.name = 'BatchValidationError';
  }
}

/**
 * Too many jobs are queued or running for the account and model (or the input is over a size
 * quota): the same submission can succeed once earlier jobs have ended, after a long backoff.
 */
export class BatchQuotaExceededError extends BatchInferenceError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'ServiceQuotaExceededException', retryable: true, cause });
    this.name = 'BatchQuotaExceededError';
  }
}

/** The control plane throttled the call: retry after a backoff. */
export class BatchThrottledError extends BatchInferenceError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'ThrottlingException', retryable: true, cause });
    this.name = 'BatchThrottledError';
  }
}

/** The caller may not do this (no permission, model not enabled, role not passable). */
export class BatchAccessDeniedError extends BatchInferenceError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'AccessDeniedException', retryable: false, cause });
    this.name = 'BatchAccessDeniedError';
  }
}

/** No job has that ARN (in the region asked). */
export class BatchJobNotFoundError extends BatchInferenceError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'ResourceNotFoundException', retryable: false, cause });
    this.name = 'BatchJobNotFoundError';
  }
}
