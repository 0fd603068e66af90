import {
  backoffDelayMs,
  type Clock,
  type Deadline,
  DeadlineExceededError,
  type Random,
  type RetryPolicy,
  resolveRetryPolicy,
  systemClock,
} from '@mangaassist/commons';
import { classifyModelError, type ModelErrorClass } from '../runtime/model-errors.js';
import { CircuitOpenError } from './circuit-breaker.js';

/** What `retry` needs to know about a failure: may the same call be tried again? */
export interface RetryClassification {
  readonly retryable: boolean;
}

/**
 * Why `retry` did or did not try again after a failed attempt.
 * - `retry`: it will, after `delayMs`.
 * - `not-retryable`: the classifier said no.
 * - `attempts-exhausted`: that was the policy's last attempt.
 * - `no-time-left`: the backoff plus `minAttemptMs` would not fit in the deadline.
 * - `aborted`: the deadline expired or the caller aborted.
 */
export type RetryDecision = 'retry' | 'not-retryable' | 'attempts-exhausted' | 'no-time-left' | 'aborted';

/** Reported to `onAttemptFailed` once per failed attempt. */
export interface AttemptFailure<C extends RetryClassification> {
  /** 1 for the first attempt. On the last report, also the number of attempts made. */
  readonly attempt: number;
  /** What the attempt threw, as thrown. */
  readonly error: unknown;
  readonly classification: C;
  readonly willRetry: boolean;
  readonly decision: RetryDecision;
  /** The backoff before the next attempt; 0 when `willRetry` is false. */
  readonly delayMs: number;
}

export interface RetryOptions<C extends RetryClassification = ModelErrorClass> {
  /**
   * Attempts and backoff; missing fields come from `defaultRetryPolicy`.
   * @default defaultRetryPolicy (3 attempts, 100 ms base, 2 s cap)
   */
  readonly policy?: Partial<RetryPolicy>;
  /**
   * The budget every attempt and backoff must fit in; its signal is passed to `fn`.
   * @default - no time limit, and `fn` gets a signal that never aborts
   */
  readonly deadline?: Deadline;
  /**
   * The clock backoff sleeps on.
   * @default the deadline's clock, else systemClock
   */
  readonly clock?: Clock;
  /**
   * The jitter source.
   * @default Math.random
   */
  readonly random?: Random;
  /**
   * Decides whether a failure may be retried in place.
   * @default classifyRetryError (classifyModelError, plus the resilience errors)
   */
  classify?(error: unknown): C;
  /**
   * The least time an attempt needs to be worth starting: a retry (its backoff included)
   * starts only if `delay + minAttemptMs <= deadline.remainingMs()`.
   * @default 200
   */
  readonly minAttemptMs?: number;
  /** Called after each failed attempt, before any backoff; for logs and metrics. Must not throw. */
  onAttemptFailed?(failure: AttemptFailure<C>): void;
}

/**
 * `classifyModelError`, plus what the resilience code itself throws:
 * - `CircuitOpenError`: not retryable in place (the breaker stays open for `openMs`), but the
 *   next region or model may serve; not a new failure.
 * - `DeadlineExceededError` thrown by an attempt (its own sub-budget ran out): treated like
 *   Bedrock's `ModelTimeoutException`: not retried in place, fail over, counts as a failure.
 *   When the overall deadline has expired, check `deadline.expired` before failing over.
 */
export function classifyRetryError(error: unknown): ModelErrorClass {
  if (error instanceof CircuitOpenError) {
    return {
      kind: 'unavailable',
      code: 'CircuitOpen',
      message: error.message,
      retryable: false,
      failover: true,
      fallback: true,
      countsAsFailure: false,
    };
  }
  if (error instanceof DeadlineExceededError) {
    return {
      kind: 'model-timeout',
      code: 'DeadlineExceeded',
      message: error.message,
      retryable: false,
      failover: true,
      fallback: true,
      countsAsFailure: true,
    };
  }
  return classifyModelError(error);
}

const noDeadline = new AbortController().signal;

/**
 * Calls `fn` until it succeeds, with exponential backoff and full jitter between attempts.
 *
 * `fn` receives the attempt number (1-based) and the deadline's signal, which it must pass on.
 * Failure semantics:
 * - The original error of the last attempt is rethrown unchanged (identity kept) when it is
 *   not retryable, the policy's attempts are used up, or no retry fits in the deadline. How
 *   many attempts were made is reported to `onAttemptFailed` (`attempt` of its last call, where
 *   `willRetry` is false); `fn` sees each attempt number too.
 * - When the deadline's signal aborts (before an attempt, during one, or during a backoff
 *   sleep), the signal's reason is thrown instead: a `DeadlineExceededError` when the budget
 *   ran out, the caller's reason (an `AbortError`) when the caller aborted.
 * - A `RangeError` is thrown at once for an invalid policy.
 *
 * @example
 * const output = await retry((attempt, signal) => runtime.invoke(request, signal), {
 *   deadline,
 *   onAttemptFailed: ({ attempt, decision }) => logger.warn('attempt failed', { attempt, decision }),
 * });
 */
export function retry<T>(
  fn: (attempt: number, signal: AbortSignal) => Promise<T>,
  options?: RetryOptions<ModelErrorClass>,
): Promise<T>;
export function retry<T, C extends RetryClassification>(
  fn: (attempt: number, signal: AbortSignal) => Promise<T>,
  options: RetryOptions<C> & { readonly classify: (error: unknown) => C },
): Promise<T>;
export async function retry<T>(
  fn: (attempt: number, signal: AbortSignal) => Promise<T>,
  options: RetryOptions<RetryClassification> = {},
): Promise<T> {
  const policy = resolveRetryPolicy(options.policy);
  const { deadline } = options;
  const signal = deadline?.signal ?? noDeadline;
  const clock = options.clock ?? deadline?.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const classify = (error: unknown) => options.classify?.(error) ?? classifyRetryError(error);
  const minAttemptMs = options.minAttemptMs ?? 200;

  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    let delayMs = 0;
    try {
      return await fn(attempt, signal);
    } catch (error) {
      const classification = classify(error);
      let decision: RetryDecision = 'retry';
      if (signal.aborted) decision = 'aborted';
      else if (!classification.retryable) decision = 'not-retryable';
      else if (attempt >= policy.maxAttempts) decision = 'attempts-exhausted';
      else {
        delayMs = backoffDelayMs(attempt - 1, policy, random);
        if (deadline && delayMs + minAttemptMs > deadline.remainingMs()) decision = 'no-time-left';
      }
      const willRetry = decision === 'retry';
      if (!willRetry) delayMs = 0;
      options.onAttemptFailed?.({ attempt, error, classification, willRetry, decision, delayMs });
      if (decision === 'aborted') throw signal.reason;
      if (!willRetry) throw error;
    }
    await clock.sleep(delayMs, signal); // rejects with the signal's reason if it aborts
  }
}
