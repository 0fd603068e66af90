import { type Clock, systemClock } from '@mangaassist/commons';

export interface RegionHealthOptions {
  /**
   * Consecutive failed calls at a route (each already retried in place) that start its first
   * cooldown: one unlucky request is not evidence of an outage.
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * The first cooldown; each further one doubles it.
   * @default 60_000
   */
  readonly baseCooldownMs?: number;
  /**
   * No cooldown is longer than this.
   * @default 600_000
   */
  readonly maxCooldownMs?: number;
  /**
   * While a route cools down, at most one call per this interval may probe it (`claimProbe`).
   * @default 1_000
   */
  readonly probeIntervalMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

export interface RegionHealthSnapshot {
  readonly region: string;
  readonly available: boolean;
  /** Failed calls since the route's last success. */
  readonly failureCount: number;
  /** The cooldown last started; 0 while none has. */
  readonly cooldownMs: number;
  readonly cooldownRemainingMs: number;
}

interface RouteState {
  failureCount: number;
  cooldowns: number;
  cooldownMs: number;
  availableAt: number;
  lastFailureAt: number;
  lastProbeAt: number;
}

/**
 * Which routes (a region, or a cross-region profile called from it) may take traffic, judged
 * on evidence: a route cools down only after `failureThreshold` failed calls in a row, then for
 * an exponentially growing time — `min(maxCooldownMs, baseCooldownMs * 2 ** (n - 1))` for the
 * n-th cooldown since the last success: 60 s, 120 s, 240 s, 480 s, then 600 s. After a cooldown
 * the route is available again on probation: its next failure starts the next cooldown at once;
 * a success forgets everything. A failure reported while the route is already cooling down (a
 * call that was in flight, or a probe) neither extends nor doubles the cooldown: one outage seen
 * by many concurrent requests is one outage.
 *
 * A cooling route still recovers as soon as its region does: when no other route can answer,
 * callers ask `claimProbe`, which lets one call per route and `probeIntervalMs` through, to the
 * cooling route that failed longest ago (half-open, as a circuit breaker) — a failed probe sends
 * the next one to another route, a successful one (`markSuccess`) ends the cooldown. Each
 * process (Lambda instance) probes on its own.
 * Routes never seen are available.
 */
export class RegionHealth {
  private readonly failureThreshold: number;
  private readonly baseCooldownMs: number;
  private readonly maxCooldownMs: number;
  private readonly probeIntervalMs: number;
  private readonly clock: Clock;
  private readonly routes = new Map<string, RouteState>();

  /** Throws a `RangeError` for a threshold below 1, a negative time, or a cap below the base. */
  constructor(options: RegionHealthOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? 3;
    this.baseCooldownMs = options.baseCooldownMs ?? 60_000;
    this.maxCooldownMs = options.maxCooldownMs ?? 600_000;
    this.probeIntervalMs = options.probeIntervalMs ?? 1_000;
    this.clock = options.clock ?? systemClock;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be a positive integer, got ${this.failureThreshold}`);
    }
    if (!(this.baseCooldownMs >= 0) || !(this.maxCooldownMs >= this.baseCooldownMs)) {
      throw new RangeError(
        `Cooldowns must satisfy 0 <= baseCooldownMs <= maxCooldownMs, got ${this.baseCooldownMs} and ${this.maxCooldownMs}`,
      );
    }
    if (!(this.probeIntervalMs >= 0)) {
      throw new RangeError(`probeIntervalMs must be at least 0, got ${this.probeIntervalMs}`);
    }
  }

  isAvailable(route: string): boolean {
    return this.cooldownRemainingMs(route) === 0;
  }

  /** Time until the route is available again; 0 when it is. */
  cooldownRemainingMs(route: string): number {
    const state = this.routes.get(route);
    return state ? Math.max(0, state.availableAt - this.clock.now()) : 0;
  }

  /**
   * Records a failed call; returns the cooldown it started in ms, or 0 when it started none (too
   * little evidence yet, or the route was already cooling down).
   */
  markFailure(route: string): number {
    const now = this.clock.now();
    const state = this.routes.get(route) ?? {
      failureCount: 0,
      cooldowns: 0,
      cooldownMs: 0,
      availableAt: 0,
      lastFailureAt: now,
      lastProbeAt: Number.NEGATIVE_INFINITY,
    };
    this.routes.set(route, state);
    state.lastFailureAt = now;
    if (state.availableAt > now) return 0;
    state.failureCount++;
    if (state.failureCount < this.failureThreshold) return 0;
    state.cooldowns++;
    state.cooldownMs = Math.min(this.maxCooldownMs, this.baseCooldownMs * 2 ** (state.cooldowns - 1));
    state.availableAt = now + state.cooldownMs;
    return state.cooldownMs;
  }

  /** Records a success: the route is available at once and its failures are forgotten. */
  markSuccess(route: string): void {
    this.routes.delete(route);
  }

  /**
   * Of `routes`, the cooling one a call may probe now — the one that failed longest ago among
   * those not probed in the last `probeIntervalMs` — marked as probed; `undefined` when there is
   * none. The caller reports the probe's outcome with `markSuccess` or `markFailure`.
   */
  claimProbe(routes: readonly string[]): string | undefined {
    const now = this.clock.now();
    let chosen: { route: string; state: RouteState } | undefined;
    for (const route of routes) {
      const state = this.routes.get(route);
      if (!state || state.availableAt <= now || now - state.lastProbeAt < this.probeIntervalMs) continue;
      if (!chosen || state.lastFailureAt < chosen.state.lastFailureAt) chosen = { route, state };
    }
    if (chosen) chosen.state.lastProbeAt = now;
    return chosen?.route;
  }

  /** Every route that has failed since its last success, in order of first failure. */
  snapshot(): RegionHealthSnapshot[] {
    return [...this.routes].map(([region, state]) => {
      const cooldownRemainingMs = this.cooldownRemainingMs(region);
      return {
        region,
        available: cooldownRemainingMs === 0,
        failureCount: state.failureCount,
        cooldownMs: state.cooldownMs,
        cooldownRemainingMs,
      };
    });
  }
}
