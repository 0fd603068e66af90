import { createFakeClock } from '@mangaassist/commons/testing';
import { describe, expect, it } from 'vitest';
import {
  type BreakerPermit,
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitOpenError,
  circuitKey,
} from './circuit-breaker.js';

function permitOf(breaker: CircuitBreaker): BreakerPermit {
  const permit = breaker.tryAcquire();
  if (!permit) throw new Error(`expected ${breaker.key} to let a call through`);
  return permit;
}

function failTimes(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) permitOf(breaker).fail();
}

function openBreaker() {
  const clock = createFakeClock();
  const breaker = new CircuitBreaker('claude@us-east-1', { clock });
  failTimes(breaker, 5);
  return { clock, breaker };
}

describe('CircuitBreaker', () => {
  it('stays closed after 4 consecutive failures and opens on the 5th', () => {
    const breaker = new CircuitBreaker('claude@us-east-1', { clock: createFakeClock() });

    failTimes(breaker, 4);
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBeDefined();

    failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('short-circuits calls while open, so nothing is called', () => {
    const { breaker } = openBreaker();
    let calls = 0;
    const call = () => {
      const permit = breaker.tryAcquire();
      if (!permit) return 'short-circuited';
      calls++;
      permit.succeed();
      return 'called';
    };

    expect([call(), call(), call()]).toEqual(['short-circuited', 'short-circuited', 'short-circuited']);
    expect(calls).toBe(0);
    expect(breaker.snapshot()).toEqual({
      key: 'claude@us-east-1',
      state: 'open',
      consecutiveFailures: 5,
      retryAfterMs: 3_000,
      probeInFlight: false,
    });
  });

  it('resets the failure count on a success', () => {
    const breaker = new CircuitBreaker('k', { clock: createFakeClock() });

    failTimes(breaker, 4);
    permitOf(breaker).succeed();
    failTimes(breaker, 4);

    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutiveFailures).toBe(4);
  });

  it('counts neither a released permit nor a second settle of the same permit', () => {
    const breaker = new CircuitBreaker('k', { clock: createFakeClock() });

    for (let i = 0; i < 10; i++) permitOf(breaker).release();
    const permit = permitOf(breaker);
    permit.fail();
    permit.fail();
    permit.succeed();

    expect(breaker.snapshot().consecutiveFailures).toBe(1);
  });

  it('lets exactly one probe through after 3 s, however many callers ask at once', async () => {
    const { clock, breaker } = openBreaker();

    await clock.advance(2_999);
    expect(breaker.tryAcquire()).toBeUndefined();
    await clock.advance(1);

    const permits = Array.from({ length: 20 }, () => breaker.tryAcquire());
    const granted = permits.filter((permit) => permit !== undefined);
    expect(granted).toHaveLength(1);
    expect(granted[0]?.probe).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.snapshot().probeInFlight).toBe(true);
  });

  it('closes when the probe succeeds', async () => {
    const { clock, breaker } = openBreaker();
    await clock.advance(3_000);

    permitOf(breaker).succeed();

    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutiveFailures).toBe(0);
    expect(permitOf(breaker).probe).toBe(false);
    expect(breaker.tryAcquire()).toBeDefined();
  });

  it('re-opens for another 3 s when the probe fails', async () => {
    const { clock, breaker } = openBreaker();
    await clock.advance(3_000);

    permitOf(breaker).fail();

    expect(breaker.state).toBe('open');
    await clock.advance(2_999);
    expect(breaker.tryAcquire()).toBeUndefined();
    await clock.advance(1);
    expect(permitOf(breaker).probe).toBe(true);
  });

  it('frees the probe slot for the next caller when the probe is released', async () => {
    const { clock, breaker } = openBreaker();
    await clock.advance(3_000);
    const probe = permitOf(breaker);
    expect(breaker.tryAcquire()).toBeUndefined();

    probe.release();

    expect(breaker.state).toBe('half-open');
    expect(permitOf(breaker).probe).toBe(true);
  });

  it('ignores late outcomes of calls admitted before it opened', async () => {
    const clock = createFakeClock();
    const breaker = new CircuitBreaker('k', { clock });
    const lateSuccess = permitOf(breaker);
    const lateFailure = permitOf(breaker);
    failTimes(breaker, 5);

    lateSuccess.succeed();
    expect(breaker.state).toBe('open');

    await clock.advance(3_000);
    permitOf(breaker).succeed();
    lateFailure.fail();
    expect(breaker.snapshot().consecutiveFailures).toBe(0);
  });

  it('honours a custom threshold and open time', async () => {
    const clock = createFakeClock();
    const breaker = new CircuitBreaker('k', { clock, failureThreshold: 2, openMs: 1_000 });

    failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
    await clock.advance(1_000);
    expect(breaker.state).toBe('half-open');
  });

  it('throws a CircuitOpenError with the key and the wait from acquire while open', async () => {
    const { clock, breaker } = openBreaker();
    await clock.advance(1_000);

    expect(() => breaker.acquire()).toThrow(CircuitOpenError);
    try {
      breaker.acquire();
    } catch (error) {
      expect(error).toMatchObject({
        name: 'CircuitOpenError',
        key: 'claude@us-east-1',
        retryAfterMs: 2_000,
      });
    }
  });

  it('rejects a threshold below 1', () => {
    expect(() => new CircuitBreaker('k', { failureThreshold: 0 })).toThrow(RangeError);
  });
});

describe('CircuitBreakerRegistry', () => {
  it('creates one breaker per key, lazily, with the shared options', () => {
    const clock = createFakeClock();
    const registry = new CircuitBreakerRegistry({ clock, failureThreshold: 1 });
    const east = circuitKey('claude', 'us-east-1');
    const west = circuitKey('claude', 'us-west-2');

    expect(registry.snapshot()).toEqual([]);
    expect(registry.get(east)).toBe(registry.get(east));
    permitOf(registry.get(east)).fail();
    registry.get(west);

    expect(registry.snapshot()).toMatchObject([
      { key: 'claude@us-east-1', state: 'open' },
      { key: 'claude@us-west-2', state: 'closed' },
    ]);
  });
});
