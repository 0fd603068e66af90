import { createFakeClock, type FakeClock } from '@mangaassist/commons/testing';
import type { TargetRetryPolicy } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { NonRetryableTargetError } from './local-rules.js';
import {
  busClosedError,
  type DeliveryStatus,
  defaultRetryTiming,
  deliverWithRetries,
  retryDelayMs,
} from './target-delivery.js';

const timing = { baseDelayMs: 100, maxDelayMs: 1000 };

function retryPolicy(overrides: Partial<TargetRetryPolicy> = {}): TargetRetryPolicy {
  return { maximumEventAgeSeconds: 3600, maximumRetryAttempts: 3, ...overrides };
}

/** A target failing its first `failures` attempts, then succeeding. */
function flakyTarget(failures: number, error: () => Error = () => new Error('consumer down')) {
  const attempts: number[] = [];
  return {
    attempts,
    attempt: async (attempt: number) => {
      attempts.push(attempt);
      if (attempts.length <= failures) throw error();
    },
  };
}

function deliver(
  clock: FakeClock,
  attempt: (attempt: number) => Promise<void>,
  retry: TargetRetryPolicy = retryPolicy(),
) {
  const statuses: DeliveryStatus[] = [];
  const done = deliverWithRetries({
    attempt,
    retry,
    timing,
    clock,
    random: () => 0.999,
    acceptedAt: clock.now(),
    onStatus: (status) => statuses.push(status),
  });
  return { statuses, done };
}

describe('retryDelayMs', () => {
  it('doubles from the base delay up to the cap, jitter taking off at most half', () => {
    const full = () => 0.999_999;
    expect([1, 2, 3, 4, 5].map((retry) => retryDelayMs(retry, timing, full))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(retryDelayMs(3, timing, () => 0)).toBe(200);
  });

  it('defaults to a 200 ms base for pnpm dev', () => {
    expect(defaultRetryTiming.baseDelayMs).toBe(200);
  });
});

describe('deliverWithRetries', () => {
  it('reports ok after one attempt when the target succeeds', async () => {
    const clock = createFakeClock();
    const target = flakyTarget(0);
    const { statuses, done } = deliver(clock, target.attempt);

    await expect(done).resolves.toEqual({ status: 'ok', attempts: 1 });
    expect(statuses).toEqual([{ status: 'ok', attempts: 1 }]);
  });

  it('retries a failing target after a backoff and reports failed until it succeeds', async () => {
    const clock = createFakeClock();
    const target = flakyTarget(2);
    const { statuses, done } = deliver(clock, target.attempt);

    await clock.advance(0);
    expect(statuses).toEqual([{ status: 'failed', attempts: 1, error: 'consumer down' }]);
    await clock.advance(10_000);

    await expect(done).resolves.toEqual({ status: 'ok', attempts: 3 });
    expect(target.attempts).toEqual([1, 2, 3]);
    expect(statuses.map((status) => status.status)).toEqual(['failed', 'failed', 'ok']);
  });

  it('gives up after maximumRetryAttempts retries and reports dlq with every attempt counted', async () => {
    const clock = createFakeClock();
    const target = flakyTarget(Number.POSITIVE_INFINITY);
    const { done } = deliver(clock, target.attempt, retryPolicy({ maximumRetryAttempts: 2 }));
    await clock.advance(60_000);

    await expect(done).resolves.toEqual({ status: 'dlq', attempts: 3, error: 'consumer down' });
    expect(clock.pendingSleeps).toBe(0);
  });

  it('does not retry at all with maximumRetryAttempts 0', async () => {
    const clock = createFakeClock();
    const target = flakyTarget(1);
    const { done } = deliver(clock, target.attempt, retryPolicy({ maximumRetryAttempts: 0 }));

    await expect(done).resolves.toMatchObject({ status: 'dlq', attempts: 1 });
  });

  it('gives up once the next retry would come after maximumEventAgeSeconds', async () => {
    const clock = createFakeClock();
    const target = flakyTarget(Number.POSITIVE_INFINITY);
    const { done } = deliver(
      clock,
      target.attempt,
      retryPolicy({ maximumEventAgeSeconds: 60, maximumRetryAttempts: 185 }),
    );
    await clock.advance(120_000);

    const outcome = await done;
    expect(outcome.status).toBe('dlq');
    expect(outcome.attempts).toBeLessThan(186);
    expect(clock.now()).toBeGreaterThanOrEqual(60_000);
  });

  it('sends a non-retryable failure straight to dlq', async () => {
    const clock = createFakeClock();
    const target = flakyTarget(1, () => new NonRetryableTargetError('not JSON'));
    const { done } = deliver(clock, target.attempt);

    await expect(done).resolves.toEqual({ status: 'dlq', attempts: 1, error: 'not JSON' });
  });

  it('stops a delivery waiting to retry when its signal aborts, as failed with "bus closed"', async () => {
    const clock = createFakeClock();
    const closing = new AbortController();
    const target = flakyTarget(Number.POSITIVE_INFINITY);
    const statuses: DeliveryStatus[] = [];
    const done = deliverWithRetries({
      attempt: target.attempt,
      signal: closing.signal,
      retry: retryPolicy(),
      timing,
      clock,
      random: () => 0.999,
      acceptedAt: 0,
      onStatus: (status) => statuses.push(status),
    });
    await clock.advance(0);
    closing.abort();

    await expect(done).resolves.toEqual({ status: 'failed', attempts: 1, error: busClosedError });
    expect(statuses.map((status) => status.status)).toEqual(['failed', 'failed']);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('waits for its turn before each attempt and ends the turn once the attempt settles', async () => {
    const clock = createFakeClock();
    const turns: string[] = [];
    const target = flakyTarget(1);
    const done = deliverWithRetries({
      attempt: async (attempt) => {
        turns.push(`attempt ${attempt}`);
        await target.attempt(attempt);
      },
      turn: async () => {
        turns.push('turn');
        return () => void turns.push('end');
      },
      retry: retryPolicy(),
      timing,
      clock,
      random: () => 0.999,
      acceptedAt: 0,
      onStatus: () => {},
    });
    await clock.advance(10_000);

    await expect(done).resolves.toEqual({ status: 'ok', attempts: 2 });
    expect(turns).toEqual(['turn', 'attempt 1', 'end', 'turn', 'attempt 2', 'end']);
  });

  it('gives up a delivery whose turn never came, with no attempt counted', async () => {
    const clock = createFakeClock();
    const closing = new AbortController();
    closing.abort();
    const outcome = await deliverWithRetries({
      attempt: async () => {},
      turn: (signal) => Promise.reject(signal?.reason),
      signal: closing.signal,
      retry: retryPolicy(),
      timing,
      clock,
      random: () => 0.5,
      acceptedAt: 0,
      onStatus: () => {},
    });

    expect(outcome).toEqual({ status: 'failed', attempts: 0, error: busClosedError });
  });
});
