import { describe, expect, it } from 'vitest';
import { backoffDelayMs, defaultRetryPolicy, resolveRetryPolicy } from './backoff.js';

const almostOne = 1 - Number.EPSILON;

describe('backoffDelayMs', () => {
  it('draws the first retry delay from 0 up to the base delay', () => {
    expect(backoffDelayMs(0, defaultRetryPolicy, () => 0)).toBe(0);
    expect(backoffDelayMs(0, defaultRetryPolicy, () => 0.5)).toBe(50);
    expect(backoffDelayMs(0, defaultRetryPolicy, () => almostOne)).toBeLessThan(100);
  });

  it('doubles the jitter window with each retry', () => {
    expect(backoffDelayMs(1, defaultRetryPolicy, () => 0.5)).toBe(100);
    expect(backoffDelayMs(2, defaultRetryPolicy, () => 0.5)).toBe(200);
    expect(backoffDelayMs(3, defaultRetryPolicy, () => 0.5)).toBe(400);
  });

  it('never lets the window exceed maxDelayMs', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 2000 };

    expect(backoffDelayMs(5, policy, () => 0.5)).toBe(1000); // 100 * 32 = 3200, capped at 2000
    expect(backoffDelayMs(50, policy, () => almostOne)).toBeLessThan(2000);
    expect(backoffDelayMs(50, policy, () => almostOne)).toBeGreaterThan(1999);
  });

  it('stays inside [0, cap) for every draw', () => {
    for (let retryIndex = 0; retryIndex < 10; retryIndex++) {
      const cap = Math.min(2000, 100 * 2 ** retryIndex);
      for (const draw of [0, 0.1, 0.73, almostOne]) {
        const delay = backoffDelayMs(retryIndex, defaultRetryPolicy, () => draw);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(cap);
      }
    }
  });
});

describe('resolveRetryPolicy', () => {
  it('defaults to 3 attempts, a 100 ms base and a 2 s cap', () => {
    expect(resolveRetryPolicy()).toEqual({ maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000 });
    expect(resolveRetryPolicy({ maxAttempts: 5 })).toEqual({
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 2000,
    });
  });

  it('rejects a policy without a single attempt or with a negative delay', () => {
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => resolveRetryPolicy({ maxAttempts: 1.5 })).toThrow(RangeError);
    expect(() => resolveRetryPolicy({ baseDelayMs: -1 })).toThrow(RangeError);
    expect(() => resolveRetryPolicy({ maxDelayMs: Number.NaN })).toThrow(RangeError);
  });
});
