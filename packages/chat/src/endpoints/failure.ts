import type { Logger } from '@mangaassist/commons';
import {
  AllModelsFailedError,
  GatewayTimeoutError,
  ModelRequestRejectedError,
  StreamInterruptedError,
  UnknownModelError,
} from '@mangaassist/fm-gateway';
import { errorResponse, type HttpResponse } from '@mangaassist/http';
import { BudgetExhaustedError } from '@mangaassist/tenants';
import { SessionUnavailableError } from '../chat-service.js';

/** A failed request as every door reports it: HTTP status, stable code, message, retry hint. */
export interface Failure {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly retryAfterSeconds?: number;
  readonly issues?: readonly { path: string; message: string }[];
}

/**
 * Maps what the chat service and the gateway throw onto the public failures:
 * unknown model 400; Bedrock rejected the input (ValidationException) 400; Bedrock refused the
 * deployment (access, missing model) 502; the tenant's daily budget spent 429 (retry after
 * midnight UTC); every model throttled 429; no model available 503; session history
 * unavailable 503; deadline 504; the caller went away 499 (never seen by a client); anything
 * else 500. Logs what an operator needs to know.
 */
export function describeFailure(error: unknown, requestId: string, logger: Logger): Failure {
  if (error instanceof UnknownModelError) {
    return {
      status: 400,
      code: 'unknown_model',
      message: error.message,
      issues: [{ path: 'model', message: error.message }],
    };
  }
  if (error instanceof BudgetExhaustedError) {
    return {
      status: 429,
      code: 'budget_exhausted',
      message: `The daily model budget of $${error.budgetUsd} is spent; it resets at midnight UTC.`,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  if (error instanceof SessionUnavailableError) {
    logger.error('session store unavailable', { requestId });
    return { status: 503, code: 'session_unavailable', message: error.message, retryAfterSeconds: 5 };
  }
  if (error instanceof ModelRequestRejectedError) {
    logger.warn('Bedrock rejected the request', { requestId, code: error.code, detail: error.detail });
    // A guardrail Bedrock cannot find or use is the deployment's fault, not the input's.
    return error.code === 'ValidationException' && !/guardrail/i.test(error.detail)
      ? {
          status: 400,
          code: 'model_rejected_input',
          message: `The model rejected the input: ${error.detail}`,
        }
      : {
          status: 502,
          code: 'model_access_error',
          message: 'The model is not available to this deployment.',
        };
  }
  if (error instanceof AllModelsFailedError) {
    logger.error('no model could answer', { requestId, attempts: error.attempts });
    return error.kind === 'throttled'
      ? {
          status: 429,
          code: 'throttled',
          message: 'Too many requests to the model; retry shortly.',
          retryAfterSeconds: 2,
        }
      : {
          status: 503,
          code: 'model_unavailable',
          message: 'No model is available right now; retry shortly.',
          retryAfterSeconds: 5,
        };
  }
  if (error instanceof StreamInterruptedError) {
    logger.warn('the model stream broke before any of it could be sent', { requestId, code: error.code });
    return {
      status: 502,
      code: 'stream_interrupted',
      message: 'The model stream failed part-way; the answer is incomplete. Retry the request.',
    };
  }
  if (error instanceof GatewayTimeoutError) {
    logger.warn('deadline exceeded', { requestId, budgetMs: error.budgetMs, attempts: error.attempts });
    return { status: 504, code: 'deadline_exceeded', message: `No answer within ${error.budgetMs} ms.` };
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return { status: 499, code: 'client_closed_request', message: 'The client went away.' };
  }
  logger.error('unexpected error', {
    requestId,
    error: error instanceof Error ? error.stack : String(error),
  });
  return { status: 500, code: 'internal_error', message: 'Something went wrong on our side.' };
}

/** The JSON error response for a failure (`Retry-After` when there is a hint). */
export function failureResponse(error: unknown, requestId: string, logger: Logger): HttpResponse {
  const failure = describeFailure(error, requestId, logger);
  return errorResponse(failure.status, requestId, failure.code, failure.message, {
    ...(failure.issues ? { issues: failure.issues } : {}),
    ...(failure.retryAfterSeconds !== undefined
      ? { headers: { 'retry-after': String(failure.retryAfterSeconds) } }
      : {}),
  });
}
