import { Deadline, DeadlineExceededError } from '@mangaassist/commons';
import { createFakeClock } from '@mangaassist/commons/testing';
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from './circuit-breaker.js';
import { type AttemptFailure, classifyRetryError, type RetryClassification, retry } from './retry.js';

function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
const throttled = () => awsError('ThrottlingException', 'Rate exceeded');
const rejected = () => awsError('ValidationException', 'bad request');

/** Collects what retry reports, and when. */
function recorder<C extends RetryClassification>() {
  const failures: AttemptFailure<C>[] = [];
  return { failures, onAttemptFailed: (failure: AttemptFailure<C>) => failures.push(failure) };
}

describe('retry', () => {
  it('returns the first success without waiting', async () => {
    const clock = createFakeClock();
    const calls: number[] = [];

    const result = await retry(
      async (attempt) => {
        calls.push(attempt);
        return 'ok';
      },
      { clock },
    );

    expect(result).toBe('ok');
    expect(calls).toEqual([1]);
  });

  it('retries a throttle after a jittered backoff and returns the later success', async () => {
    const clock = createFakeClock();
    const startedAt: number[] = [];

    const result = retry(
      async (attempt) => {
        startedAt.push(clock.now());
        if (attempt < 3) throw throttled();
        return 'ok';
      },
      { clock, random: () => 0.5 },
    );
    await clock.advance(1_000);

    await expect(result).resolves.toBe('ok');
    // Backoff windows of 100 and 200 ms, half of each drawn.
    expect(startedAt).toEqual([0, 50, 150]);
  });

  it('stops at once on an error that is not retryable and rethrows it unchanged', async () => {
    const error = rejected();
    const { failures, onAttemptFailed } = recorder();
    let calls = 0;

    const result = retry(
      async () => {
        calls++;
        throw error;
      },
      { clock: createFakeClock(), onAttemptFailed },
    );

    await expect(result).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(failures).toMatchObject([
      {
        attempt: 1,
        error,
        willRetry: false,
        decision: 'not-retryable',
        delayMs: 0,
        classification: { kind: 'rejected' },
      },
    ]);
  });

  it('makes at most maxAttempts attempts, then rethrows the last error and reports the count', async () => {
    const clock = createFakeClock();
    const errors: Error[] = [];
    const { failures, onAttemptFailed } = recorder();

    const result = retry(
      async () => {
        const error = throttled();
        errors.push(error);
        throw error;
      },
      { clock, random: () => 0, policy: { maxAttempts: 4 }, onAttemptFailed },
    );
    result.catch(() => {});
    await clock.advance(0);

    await expect(result).rejects.toBe(errors[3]);
    expect(errors).toHaveLength(4);
    expect(failures.map((failure) => [failure.attempt, failure.decision])).toEqual([
      [1, 'retry'],
      [2, 'retry'],
      [3, 'retry'],
      [4, 'attempts-exhausted'],
    ]);
  });

  it('starts no retry whose backoff and minimum attempt time do not fit in the deadline', async () => {
    const clock = createFakeClock();
    const deadline = new Deadline(1_000, { clock });
    const error = throttled();
    const { failures, onAttemptFailed } = recorder();
    let calls = 0;

    const result = retry(
      async (_attempt, signal) => {
        calls++;
        await clock.sleep(750, signal); // leaves 250 ms
        throw error;
      },
      // The first retry's delay is 0.5 * 200 = 100 ms; 100 + 200 > 250.
      { deadline, random: () => 0.5, policy: { baseDelayMs: 200 }, minAttemptMs: 200, onAttemptFailed },
    );
    let settledAt: number | undefined;
    result.catch(() => {
      settledAt = clock.now();
    });
    // Through the whole deadline: a retry started by mistake settles too, and fails the expectations.
    await clock.advance(1_000);

    await expect(result).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(settledAt).toBe(750);
    expect(failures).toMatchObject([{ attempt: 1, willRetry: false, decision: 'no-time-left', delayMs: 0 }]);
    deadline.dispose();
  });

  it('starts a retry when backoff plus minimum attempt time exactly fits the deadline', async () => {
    const clock = createFakeClock();
    const deadline = new Deadline(1_000, { clock });
    const startedAt: number[] = [];

    const result = retry(
      async (attempt, signal) => {
        startedAt.push(clock.now());
        if (attempt > 1) return 'ok';
        await clock.sleep(700, signal); // leaves 300 ms = 100 ms delay + 200 ms attempt
        throw throttled();
      },
      { deadline, random: () => 0.5, policy: { baseDelayMs: 200 }, minAttemptMs: 200 },
    );
    await clock.advance(800);

    await expect(result).resolves.toBe('ok');
    expect(startedAt).toEqual([0, 800]);
    deadline.dispose();
  });

  it('throws DeadlineExceededError when the deadline expires during a backoff sleep', async () => {
    const clock = createFakeClock();
    // The request's own budget is generous, but the upstream one it inherits runs out first.
    const upstream = new Deadline(1_000, { clock });
    const deadline = new Deadline(10_000, { clock, signal: upstream.signal });
    let calls = 0;

    const result = retry(
      async (_attempt, signal) => {
        calls++;
        await clock.sleep(900, signal);
        throw throttled();
      },
      { deadline, random: () => 0.5, policy: { baseDelayMs: 1_000 } }, // sleeps 500 ms from 900
    );
    result.catch(() => {});
    await clock.advance(2_000);

    await expect(result).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(calls).toBe(1);
    deadline.dispose();
  });

  it("throws the caller's AbortError, not a timeout, when the caller aborts during a backoff sleep", async () => {
    const clock = createFakeClock();
    const caller = new AbortController();
    const deadline = new Deadline(10_000, { clock, signal: caller.signal });
    let calls = 0;

    const result = retry(
      async () => {
        calls++;
        throw throttled();
      },
      { deadline, random: () => 0.5 },
    );
    result.catch(() => {});
    await clock.advance(10);
    caller.abort();

    await expect(result).rejects.toMatchObject({ name: 'AbortError' });
    await expect(result).rejects.not.toBeInstanceOf(DeadlineExceededError);
    expect(calls).toBe(1);
  });

  it('throws DeadlineExceededError rather than the abort error of an attempt the deadline cut short', async () => {
    const clock = createFakeClock();
    const deadline = new Deadline(1_000, { clock });
    const { failures, onAttemptFailed } = recorder();

    const result = retry(
      async (_attempt, signal) => {
        try {
          await clock.sleep(5_000, signal);
        } catch {
          throw new DOMException('Request aborted', 'AbortError'); // what an SDK throws
        }
        return 'too late';
      },
      { deadline, onAttemptFailed },
    );
    result.catch(() => {});
    await clock.advance(1_000);

    await expect(result).rejects.toMatchObject({ name: 'DeadlineExceededError', budgetMs: 1_000 });
    expect(failures).toMatchObject([{ attempt: 1, willRetry: false, decision: 'aborted' }]);
  });

  it('calls nothing when the deadline has already expired', async () => {
    const clock = createFakeClock();
    const deadline = new Deadline(0, { clock });
    let calls = 0;

    const result = retry(
      async () => {
        calls++;
        return 'ok';
      },
      { deadline },
    );

    await expect(result).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(calls).toBe(0);
  });

  it('does not retry in place when the circuit is open', async () => {
    const error = new CircuitOpenError('claude@us-east-1', 30_000);
    let calls = 0;

    const result = retry(
      async () => {
        calls++;
        throw error;
      },
      { clock: createFakeClock() },
    );

    await expect(result).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('uses a custom classifier and reports its classification', async () => {
    const clock = createFakeClock();
    const { failures, onAttemptFailed } = recorder<{ retryable: boolean; reason: string }>();

    const result = retry(
      async (attempt) => {
        if (attempt === 1) throw rejected();
        return 'ok';
      },
      {
        clock,
        random: () => 0,
        classify: () => ({ retryable: true, reason: 'everything is retryable here' }),
        onAttemptFailed,
      },
    );

    await expect(result).resolves.toBe('ok');
    expect(failures).toMatchObject([{ classification: { reason: 'everything is retryable here' } }]);
  });
});

describe('classifyRetryError', () => {
  it('fails an open circuit over without counting it as a new failure', () => {
    expect(classifyRetryError(new CircuitOpenError('k', 1))).toMatchObject({
      retryable: false,
      failover: true,
      countsAsFailure: false,
    });
  });

  it("treats an attempt's own timeout like a model timeout", () => {
    expect(classifyRetryError(new DeadlineExceededError(1_000, 1_000))).toMatchObject({
      kind: 'model-timeout',
      retryable: false,
      failover: true,
      countsAsFailure: true,
    });
  });

  it('classifies everything else as classifyModelError does', () => {
    expect(classifyRetryError(throttled())).toMatchObject({ kind: 'throttled', retryable: true });
  });
});
