import { type Clock, systemClock } from '@mangaassist/commons';

/**
 * - `closed`: calls go through; consecutive failures are counted.
 * - `open`: calls are short-circuited until `openMs` has passed.
 * - `half-open`: `openMs` has passed; one probe call may go through (or is in flight).
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /**
   * Consecutive counted failures (across retries: one per attempt) that open the circuit.
   * @default 5
   */
  readonly failureThreshold?: number;
  /**
   * How long an open circuit short-circuits calls before it lets one probe through: short, so
   * that a model is back within seconds of its recovery, at the cost of one probe per interval.
   * @default 3_000
   */
  readonly openMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * The right to make one call through a breaker. Settle it exactly once with the call's
 * outcome; any later settle is ignored.
 */
export interface BreakerPermit {
  /** This call is the half-open probe: its outcome closes or re-opens the circuit. */
  readonly probe: boolean;
  /** The call succeeded: resets the failure count; a probe closes the circuit. */
  succeed(): void;
  /** The call failed in a way that counts (`countsAsFailure`); a probe re-opens the circuit. */
  fail(): void;
  /**
   * Neutral outcome (the caller aborted, or the error says nothing about the endpoint's
   * health): nothing is counted; a released probe frees the slot for the next caller.
   */
  release(): void;
}

export interface CircuitBreakerSnapshot {
  readonly key: string;
  readonly state: CircuitState;
  readonly consecutiveFailures: number;
  /** Time until a probe may go through; 0 unless the state is `open`. */
  readonly retryAfterMs: number;
  readonly probeInFlight: boolean;
}

/** A call was short-circuited because the breaker for `key` is open (or probing). */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';

  constructor(
    readonly key: string,
    /** Time until the breaker lets a probe through; 0 while a probe is in flight. */
    readonly retryAfterMs: number,
  ) {
    super(`Circuit ${key} is open; retry after ${Math.ceil(retryAfterMs)} ms`);
  }
}

/** The breaker key of one model in one region. */
export function circuitKey(modelId: string, region: string): string {
  return `${modelId}@${region}`;
}

/**
 * A circuit breaker for one endpoint (one model in one region).
 *
 * Opens after `failureThreshold` consecutive counted failures (a success in between resets
 * the count). While open, `tryAcquire` returns `undefined` without calling anything. After
 * `openMs`, exactly one caller gets a probe permit; everyone else is short-circuited until
 * the probe settles: success closes the circuit, failure re-opens it for another `openMs`,
 * release lets the next caller probe. Outcomes of calls admitted before the circuit opened
 * are ignored once it has opened: only the probe decides recovery.
 *
 * @example
 * const permit = breaker.tryAcquire();
 * if (!permit) throw new CircuitOpenError(breaker.key, breaker.retryAfterMs());
 * try {
 *   const output = await runtime.invoke(request, signal);
 *   permit.succeed();
 *   return output;
 * } catch (error) {
 *   if (classifyModelError(error).countsAsFailure) permit.fail();
 *   else permit.release();
 *   throw error;
 * }
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly openMs: number;
  private readonly clock: Clock;
  private consecutiveFailures = 0;
  /** When the circuit may let a probe through; undefined while closed. */
  private openUntil: number | undefined;
  private probeInFlight = false;
  /** Bumped whenever the circuit opens, so permits from an earlier period are ignored. */
  private generation = 0;

  /** Throws a `RangeError` when the threshold is not a positive integer or `openMs` is negative. */
  constructor(
    readonly key: string,
    options: CircuitBreakerOptions = {},
  ) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 3_000;
    this.clock = options.clock ?? systemClock;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be a positive integer, got ${this.failureThreshold}`);
    }
    if (!(this.openMs >= 0)) throw new RangeError(`openMs must be at least 0, got ${this.openMs}`);
  }

  get state(): CircuitState {
    if (this.openUntil === undefined) return 'closed';
    return this.probeInFlight || this.clock.now() >= this.openUntil ? 'half-open' : 'open';
  }

  /** Time until a probe may go through; 0 unless the state is `open`. */
  retryAfterMs(): number {
    if (this.openUntil === undefined || this.probeInFlight) return 0;
    return Math.max(0, this.openUntil - this.clock.now());
  }

  /** A permit to call, or `undefined` when the call must be short-circuited. */
  tryAcquire(): BreakerPermit | undefined {
    switch (this.state) {
      case 'closed':
        return this.permit(false);
      case 'open':
        return undefined;
      case 'half-open':
        if (this.probeInFlight) return undefined;
        this.probeInFlight = true;
        return this.permit(true);
    }
  }

  /** Like `tryAcquire`, but throws a `CircuitOpenError` instead of returning `undefined`. */
  acquire(): BreakerPermit {
    const permit = this.tryAcquire();
    if (!permit) throw new CircuitOpenError(this.key, this.retryAfterMs());
    return permit;
  }

  snapshot(): CircuitBreakerSnapshot {
    return {
      key: this.key,
      state: this.state,
      consecutiveFailures: this.consecutiveFailures,
      retryAfterMs: this.retryAfterMs(),
      probeInFlight: this.probeInFlight,
    };
  }

  private permit(probe: boolean): BreakerPermit {
    const generation = this.generation;
    let settled = false;
    const settle = (outcome: 'succeed' | 'fail' | 'release') => (): void => {
      if (settled) return;
      settled = true;
      if (generation !== this.generation) return;
      // Same generation and not the probe: the circuit is still closed.
      if (probe) this.settleProbe(outcome);
      else this.settleClosed(outcome);
    };
    return { probe, succeed: settle('succeed'), fail: settle('fail'), release: settle('release') };
  }

  private settleClosed(outcome: 'succeed' | 'fail' | 'release'): void {
    if (outcome === 'succeed') this.consecutiveFailures = 0;
    if (outcome !== 'fail') return;
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.failureThreshold) this.open();
  }

  private settleProbe(outcome: 'succeed' | 'fail' | 'release'): void {
    this.probeInFlight = false;
    if (outcome === 'succeed') {
      this.consecutiveFailures = 0;
      this.openUntil = undefined;
    } else if (outcome === 'fail') {
      this.consecutiveFailures++;
      this.open();
    }
  }

  private open(): void {
    this.generation++;
    this.openUntil = this.clock.now() + this.openMs;
  }
}

/**
 * Circuit breakers by key (see `circuitKey`), created on first use with shared options.
 * Keys are never evicted: use it for a bounded set (models × regions).
 */
export class CircuitBreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly options: CircuitBreakerOptions = {}) {}

  /** The breaker for `key`, created closed if it does not exist yet. */
  get(key: string): CircuitBreaker {
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(key, this.options);
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  /** Every breaker's snapshot, in order of creation. */
  snapshot(): CircuitBreakerSnapshot[] {
    return [...this.breakers.values()].map((breaker) => breaker.snapshot());
  }
}
