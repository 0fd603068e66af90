import type { Clock } from '@mangaassist/commons';
import type { TargetRetryPolicy } from '@mangaassist/contracts';
import { NonRetryableTargetError } from './local-rules.js';

/** How long the local bus waits between deliveries to a failing target. */
export interface RetryTiming {
  /** Wait before the first retry; each later wait doubles. @default 200 */
  readonly baseDelayMs: number;
  /** Longest wait. @default 5000 */
  readonly maxDelayMs: number;
}

/** Short, so that `pnpm dev` shows a failing target's fate in seconds rather than EventBridge's minutes. */
export const defaultRetryTiming: RetryTiming = { baseDelayMs: 200, maxDelayMs: 5000 };

/**
 * The wait before retry number `retry` (1 for the first): exponential backoff, capped at
 * `maxDelayMs`, with jitter taking it down to as little as half (`random` uniform in [0, 1)).
 */
export function retryDelayMs(retry: number, timing: RetryTiming, random: () => number): number {
  const ceiling = Math.min(timing.maxDelayMs, timing.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** The error recorded for a delivery the bus gave up because it closed (`LocalEventBus.close`). */
export const busClosedError = 'bus closed';

/** Where a delivery stands after an attempt. */
export type DeliveryStatus =
  | { readonly status: 'ok'; readonly attempts: number; readonly result?: unknown }
  | { readonly status: 'failed'; readonly attempts: number; readonly error: string }
  | { readonly status: 'dlq'; readonly attempts: number; readonly error: string };

export interface DeliveryOptions {
  /** One delivery attempt (numbered from 1), resolving with the target's answer; a rejection is a failed attempt. */
  readonly attempt: (attempt: number) => Promise<unknown>;
  /**
   * Waits for the target's turn before each attempt (a concurrency slot) and resolves with the
   * function that ends it, called once the attempt settles; rejects when `signal` aborts first.
   * @default no wait
   */
  readonly turn?: (signal?: AbortSignal) => Promise<() => void>;
  /**
   * Aborted when the bus closes: a delivery waiting for its turn or for a retry stops at once,
   * and one whose running attempt fails is not retried; both end `failed` with `busClosedError`.
   * A running attempt is never interrupted.
   */
  readonly signal?: AbortSignal;
  readonly retry: TargetRetryPolicy;
  readonly timing: RetryTiming;
  readonly clock: Clock;
  readonly random: () => number;
  /**
   * `clock.now()` when the bus accepted the event: the event's age counts from here, time spent
   * waiting for a turn included.
   */
  readonly acceptedAt: number;
  /**
   * Told after every attempt; the last call is `ok`, `dlq`, or — when `signal` aborted — `failed`
   * with `busClosedError` (its `attempts` counting only attempts made, so 0 for a delivery that
   * never had its turn).
   */
  readonly onStatus: (status: DeliveryStatus) => void;
}

/**
 * Delivers one event to one target as EventBridge does: on failure, retries with exponential
 * backoff and jitter until the target's `maximumRetryAttempts` retries are spent or the next
 * retry would come after `maximumEventAgeSeconds` from acceptance, whichever is first; a
 * `NonRetryableTargetError` is not retried. The age is judged when a retry is scheduled: a retry
 * already waiting for its turn is not dropped for age. Never rejects: the outcome goes to
 * `onStatus`.
 *
 * Deployed, EventBridge invokes a Lambda asynchronously, so a function error is retried by
 * Lambda's asynchronous invocation rather than by this policy; locally the target's rejection
 * stands for both, under the target's policy.
 */
export async function deliverWithRetries(options: DeliveryOptions): Promise<DeliveryStatus> {
  const maxAgeMs = options.retry.maximumEventAgeSeconds * 1000;
  const { signal } = options;
  const closed = (attempts: number): DeliveryStatus =>
    report(options, { status: 'failed', attempts, error: busClosedError });
  for (let attempts = 1; ; attempts++) {
    let endTurn: () => void;
    try {
      endTurn = options.turn ? await options.turn(signal) : () => {};
    } catch {
      return closed(attempts - 1);
    }
    if (signal?.aborted) {
      // The turn came in the same instant as the close.
      endTurn();
      return closed(attempts - 1);
    }
    let failure: unknown;
    try {
      const result = await options.attempt(attempts);
      return report(options, { status: 'ok', attempts, ...(result === undefined ? {} : { result }) });
    } catch (error) {
      failure = error;
    } finally {
      endTurn();
    }
    const error = failure instanceof Error ? failure.message : String(failure);
    const retry = attempts;
    const delay = retryDelayMs(retry, options.timing, options.random);
    const givesUp =
      failure instanceof NonRetryableTargetError ||
      retry > options.retry.maximumRetryAttempts ||
      options.clock.now() + delay - options.acceptedAt > maxAgeMs;
    if (givesUp) return report(options, { status: 'dlq', attempts, error });
    if (signal?.aborted) return closed(attempts);
    report(options, { status: 'failed', attempts, error });
    try {
      await options.clock.sleep(delay, signal);
    } catch {
      return closed(attempts);
    }
  }
}

function report(options: DeliveryOptions, status: DeliveryStatus): DeliveryStatus {
  options.onStatus(status);
  return status;
}
