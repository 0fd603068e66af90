import {
  AllModelsFailedError,
  GatewayTimeoutError,
  ModelRequestRejectedError,
} from '../gateway/gateway-errors.js';
import type { Logger } from '../observability/logger.js';
import { UnknownModelError } from '../routing/model-router.js';
import { errorResponse, type HttpResponse } from './http.js';

/**
 * Maps what the gateway throws onto the public status codes:
 * unknown model 400; Bedrock rejected the input (ValidationException) 400; Bedrock refused the
 * deployment (access, missing model) 502; every model throttled 429 with `Retry-After`; no model
 * available 503 with `Retry-After`; deadline 504; the caller went away 499 (never seen by a
 * client); anything else 500, logged.
 */
export function gatewayErrorResponse(error: unknown, requestId: string, logger: Logger): HttpResponse {
  if (error instanceof UnknownModelError) {
    return errorResponse(400, requestId, 'unknown_model', error.message, {
      issues: [{ path: 'model', message: error.message }],
    });
  }
  if (error instanceof ModelRequestRejectedError) {
    logger.warn('Bedrock rejected the request', { requestId, code: error.code, detail: error.detail });
    return error.code === 'ValidationException'
      ? errorResponse(400, requestId, 'model_rejected_input', `The model rejected the input: ${error.detail}`)
      : errorResponse(502, requestId, 'model_access_error', 'The model is not available to this deployment.');
  }
  if (error instanceof AllModelsFailedError) {
    logger.error('no model could answer', { requestId, attempts: error.attempts });
    return error.kind === 'throttled'
      ? errorResponse(429, requestId, 'throttled', 'Too many requests to the model; retry shortly.', {
          headers: { 'retry-after': '2' },
        })
      : errorResponse(
          503,
          requestId,
          'model_unavailable',
          'No model is available right now; retry shortly.',
          {
            headers: { 'retry-after': '5' },
          },
        );
  }
  if (error instanceof GatewayTimeoutError) {
    logger.warn('deadline exceeded', { requestId, budgetMs: error.budgetMs, attempts: error.attempts });
    return errorResponse(504, requestId, 'deadline_exceeded', `No answer within ${error.budgetMs} ms.`);
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return errorResponse(499, requestId, 'client_closed_request', 'The client went away.');
  }
  logger.error('unexpected error', {
    requestId,
    error: error instanceof Error ? error.stack : String(error),
  });
  return errorResponse(500, requestId, 'internal_error', 'Something went wrong on our side.');
}
