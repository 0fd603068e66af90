import type { Random } from './clock.js';

/** How often and how patiently an operation is retried in place. */
export interface RetryPolicy {
  /**
   * Attempts in all, the first one included (an integer, at least 1).
   * @default 3
   */
  readonly maxAttempts: number;
  /**
   * The cap of the first retry's delay; each later retry doubles it.
   * @default 100
   */
  readonly baseDelayMs: number;
  /**
   * No delay exceeds this, however many retries came before.
   * @default 2000
   */
  readonly maxDelayMs: number;
}

/** 3 attempts; backoff caps of 100, 200, 400 … ms, never above 2 s. */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 2000,
});

/**
 * Fills a partial policy with `defaultRetryPolicy`'s values.
 *
 * Throws a `RangeError` when `maxAttempts` is not an integer of at least 1, or a delay is
 * negative or not finite, so a bad configuration fails at start-up rather than mid-outage.
 */
export function resolveRetryPolicy(policy: Partial<RetryPolicy> = {}): RetryPolicy {
  const resolved: RetryPolicy = { ...defaultRetryPolicy, ...policy };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be an integer of at least 1, got ${resolved.maxAttempts}`);
  }
  for (const name of ['baseDelayMs', 'maxDelayMs'] as const) {
    const value = resolved[name];
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`${name} must be a finite number of at least 0, got ${value}`);
    }
  }
  return resolved;
}

/**
 * The delay before retry number `retryIndex` (0 for the first retry), with full jitter:
 * `random() * min(maxDelayMs, baseDelayMs * 2 ** retryIndex)`.
 *
 * Full jitter spreads the retries of many callers that failed together (a throttle burst)
 * over the whole window instead of sending them back in lockstep. The result lies in
 * `[0, cap)` for a `random` in `[0, 1)`.
 */
export function backoffDelayMs(
  retryIndex: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'> = defaultRetryPolicy,
  random: Random = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retryIndex));
  return random() * cap;
}
