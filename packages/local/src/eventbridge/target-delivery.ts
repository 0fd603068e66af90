import type { TargetRetryPolicy } from '@mangaassist/contracts';
import type { Clock } from '@mangaassist/core';
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

/** Where a delivery stands after an attempt. */
export type DeliveryStatus =
  | { readonly status: 'ok'; readonly attempts: number }
  | { readonly status: 'failed'; readonly attempts: number; readonly error: string }
  | { readonly status: 'dlq'; readonly attempts: number; readonly error: string };

export interface DeliveryOptions {
  /** One delivery attempt (numbered from 1); a rejection is a failed attempt. */
  readonly attempt: (attempt: number) => Promise<void>;
  readonly retry: TargetRetryPolicy;
  readonly timing: RetryTiming;
  readonly clock: Clock;
  readonly random: () => number;
  /** `clock.now()` when the bus accepted the event: the event's age counts from here. */
  readonly acceptedAt: number;
  /** Told after every attempt; the last call is `ok` or `dlq`. */
  readonly onStatus: (status: DeliveryStatus) => void;
}

/**
 * Delivers one event to one target as EventBridge does: on failure, retries with exponential
 * backoff and jitter until the target's `maximumRetryAttempts` retries are spent or the next
 * retry would come after `maximumEventAgeSeconds` from acceptance, whichever is first; a
 * `NonRetryableTargetError` is not retried. Never rejects: the outcome goes to `onStatus`.
 *
 * Deployed, EventBridge invokes a Lambda asynchronously, so a function error is retried by
 * Lambda's asynchronous invocation rather than by this policy; locally the target's rejection
 * stands for both, under the target's policy.
 */
export async function deliverWithRetries(options: DeliveryOptions): Promise<DeliveryStatus> {
  const maxAgeMs = options.retry.maximumEventAgeSeconds * 1000;
  for (let attempts = 1; ; attempts++) {
    let failure: unknown;
    try {
      await options.attempt(attempts);
      return report(options, { status: 'ok', attempts });
    } catch (error) {
      failure = error;
    }
    const error = failure instanceof Error ? failure.message : String(failure);
    const retry = attempts;
    const delay = retryDelayMs(retry, options.timing, options.random);
    const givesUp =
      failure instanceof NonRetryableTargetError ||
      retry > options.retry.maximumRetryAttempts ||
      options.clock.now() + delay - options.acceptedAt > maxAgeMs;
    if (givesUp) return report(options, { status: 'dlq', attempts, error });
    report(options, { status: 'failed', attempts, error });
    await options.clock.sleep(delay);
  }
}

function report(options: DeliveryOptions, status: DeliveryStatus): DeliveryStatus {
  options.onStatus(status);
  return status;
}
