import type { ModelErrorKind } from '../runtime/model-errors.js';
import type { AttemptRecord } from './gateway-types.js';

function describe(attempts: readonly AttemptRecord[]): string {
  if (attempts.length === 0) return 'nothing was tried';
  return attempts
    .map(
      (a) =>
        `${a.model}@${a.region}: ${a.outcome}${a.error ? ` (${a.error})` : ''}${a.reason ? ` (${a.reason})` : ''}`,
    )
    .join('; ');
}

/** Base of every error the gateway throws on purpose; each says what was tried. */
export abstract class GatewayError extends Error {
  constructor(
    message: string,
    readonly attempts: readonly AttemptRecord[],
    options?: { cause?: unknown },
  ) {
    super(`${message} — tried: ${describe(attempts)}`, options);
  }
}

/**
 * Bedrock refused the request itself (ValidationException, AccessDeniedException,
 * ResourceNotFoundException): retrying or another region would get the same answer.
 */
export class ModelRequestRejectedError extends GatewayError {
  override readonly name = 'ModelRequestRejectedError';
  constructor(
    /** The Bedrock error name. */
    readonly code: string,
    readonly detail: string,
    attempts: readonly AttemptRecord[],
    cause?: unknown,
  ) {
    super(`Bedrock rejected the request: ${code}: ${detail}`, attempts, { cause });
  }
}

/** Every model of the fallback ladder failed in every allowed region and no last resort applied. */
export class AllModelsFailedError extends GatewayError {
  override readonly name = 'AllModelsFailedError';
  constructor(
    attempts: readonly AttemptRecord[],
    /** Kind of the last failure; `throttled` when every failure was a throttle. */
    readonly kind: ModelErrorKind | 'no-target',
    cause?: unknown,
  ) {
    super('No model could answer', attempts, { cause });
  }
}

/** The call's deadline ran out before an answer (or a stream's first token) and nothing was cached. */
export class GatewayTimeoutError extends GatewayError {
  override readonly name = 'GatewayTimeoutError';
  constructor(
    readonly budgetMs: number,
    attempts: readonly AttemptRecord[],
    cause?: unknown,
  ) {
    super(`No answer within ${budgetMs} ms`, attempts, { cause });
  }
}

/** A stream failed after its first token: the client has part of an answer, which is never cached. */
export class StreamInterruptedError extends GatewayError {
  override readonly name = 'StreamInterruptedError';
  constructor(
    readonly code: string,
    /** Characters already delivered to the caller. */
    readonly deliveredChars: number,
    attempts: readonly AttemptRecord[],
    cause?: unknown,
  ) {
    super(`The model stream failed after ${deliveredChars} characters: ${code}`, attempts, { cause });
  }
}
