import { type Clock, systemClock } from '@mangaassist/commons';

export interface RegionHealthOptions {
  /**
   * The cooldown after a region's first failure; each further failure doubles it.
   * @default 60_000
   */
  readonly baseCooldownMs?: number;
  /**
   * No cooldown is longer than this.
   * @default 600_000
   */
  readonly maxCooldownMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

export interface RegionHealthSnapshot {
  readonly region: string;
  readonly available: boolean;
  /** Failures since the region's last success. */
  readonly failureCount: number;
  /** The cooldown the last counted failure started. */
  readonly cooldownMs: number;
  readonly cooldownRemainingMs: number;
}

interface RegionState {
  failureCount: number;
  cooldownMs: number;
  availableAt: number;
}

/**
 * Which regions may take traffic: a failed region cools down for an exponentially growing time.
 *
 * The n-th failure since the last success starts a cooldown of
 * `min(maxCooldownMs, baseCooldownMs * 2 ** (n - 1))`: 60 s, 120 s, 240 s, 480 s, then 600 s.
 * (The seed's `60 * 2 ** failure_count`, computed after the increment, started at 120 s.)
 * After the cooldown the region is available again but keeps its count, so its next failure
 * doubles the cooldown; a success resets it. A failure reported while the region is already
 * cooling down (a request that was in flight when it was marked) neither extends nor doubles
 * the cooldown: one outage seen by many concurrent requests is one failure.
 * Regions never seen are available.
 */
export class RegionHealth {
  private readonly baseCooldownMs: number;
  private readonly maxCooldownMs: number;
  private readonly clock: Clock;
  private readonly regions = new Map<string, RegionState>();

  /** Throws a `RangeError` when a cooldown is negative or the cap is below the base. */
  constructor(options: RegionHealthOptions = {}) {
    this.baseCooldownMs = options.baseCooldownMs ?? 60_000;
    this.maxCooldownMs = options.maxCooldownMs ?? 600_000;
    this.clock = options.clock ?? systemClock;
    if (!(this.baseCooldownMs >= 0) || !(this.maxCooldownMs >= this.baseCooldownMs)) {
      throw new RangeError(
        `Cooldowns must satisfy 0 <= baseCooldownMs <= maxCooldownMs, got ${this.baseCooldownMs} and ${this.maxCooldownMs}`,
      );
    }
  }

  isAvailable(region: string): boolean {
    return this.cooldownRemainingMs(region) === 0;
  }

  /** Time until the region is available again; 0 when it is. */
  cooldownRemainingMs(region: string): number {
    const state = this.regions.get(region);
    return state ? Math.max(0, state.availableAt - this.clock.now()) : 0;
  }

  /**
   * Records a failure and starts the region's cooldown; returns the cooldown in ms (0 when
   * the region was already cooling down and the failure was ignored).
   */
  markFailure(region: string): number {
    if (!this.isAvailable(region)) return 0;
    const state = this.regions.get(region) ?? { failureCount: 0, cooldownMs: 0, availableAt: 0 };
    state.failureCount++;
    state.cooldownMs = Math.min(this.maxCooldownMs, this.baseCooldownMs * 2 ** (state.failureCount - 1));
    state.availableAt = this.clock.now() + state.cooldownMs;
    this.regions.set(region, state);
    return state.cooldownMs;
  }

  /** Records a success: the region is available at once and its failure count is reset. */
  markSuccess(region: string): void {
    this.regions.delete(region);
  }

  /** Every region that has failed since its last success, in order of first failure. */
  snapshot(): RegionHealthSnapshot[] {
    return [...this.regions].map(([region, state]) => {
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
