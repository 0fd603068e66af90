import { createFakeClock } from '@mangaassist/commons/testing';
import { describe, expect, it } from 'vitest';
import { RegionHealth } from './region-health.js';

const seconds = 1_000;

/** Reports `count` failed calls at `route`, returning the cooldown the last one started. */
function fail(health: RegionHealth, route: string, count = 3): number {
  let cooldownMs = 0;
  for (let call = 0; call < count; call++) cooldownMs = health.markFailure(route);
  return cooldownMs;
}

describe('RegionHealth', () => {
  it('treats a region it has never seen as available', () => {
    const health = new RegionHealth({ clock: createFakeClock() });

    expect(health.isAvailable('us-east-1')).toBe(true);
    expect(health.cooldownRemainingMs('us-east-1')).toBe(0);
  });

  it('does not cool a route on one failed call, only on three in a row', () => {
    const health = new RegionHealth({ clock: createFakeClock() });

    expect(health.markFailure('us-east-1')).toBe(0);
    expect(health.markFailure('us-east-1')).toBe(0);
    expect(health.isAvailable('us-east-1')).toBe(true);
    expect(health.markFailure('us-east-1')).toBe(60 * seconds);
    expect(health.isAvailable('us-east-1')).toBe(false);
  });

  it('starts counting again after a success between failures', () => {
    const health = new RegionHealth({ clock: createFakeClock() });
    fail(health, 'us-east-1', 2);
    health.markSuccess('us-east-1');

    expect(fail(health, 'us-east-1', 2)).toBe(0);
    expect(health.isAvailable('us-east-1')).toBe(true);
  });

  it('cools a failing route down for 60 s, then makes it available again', async () => {
    const clock = createFakeClock();
    const health = new RegionHealth({ clock });

    fail(health, 'us-east-1');
    await clock.advance(59 * seconds);
    expect(health.cooldownRemainingMs('us-east-1')).toBe(1 * seconds);
    await clock.advance(1 * seconds);
    expect(health.isAvailable('us-east-1')).toBe(true);
  });

  it('cools again at the first failure after a cooldown, for twice as long: 60, 120, 240, 480, then 600, 600 s', async () => {
    const clock = createFakeClock();
    const health = new RegionHealth({ clock });
    const cooldowns = [fail(health, 'us-east-1') / seconds];
    await clock.advance(60 * seconds);

    for (let cooldown = 0; cooldown < 5; cooldown++) {
      const cooldownMs = health.markFailure('us-east-1');
      cooldowns.push(cooldownMs / seconds);
      expect(health.cooldownRemainingMs('us-east-1')).toBe(cooldownMs);
      await clock.advance(cooldownMs);
    }

    expect(cooldowns).toEqual([60, 120, 240, 480, 600, 600]);
  });

  it('makes a cooling route available at once on a success, and forgets its failures', () => {
    const health = new RegionHealth({ clock: createFakeClock() });
    fail(health, 'us-east-1');

    health.markSuccess('us-east-1');

    expect(health.isAvailable('us-east-1')).toBe(true);
    expect(health.snapshot()).toEqual([]);
    expect(fail(health, 'us-east-1')).toBe(60 * seconds);
  });

  it('neither extends nor doubles a cooldown for failures reported while it runs', async () => {
    const clock = createFakeClock();
    const health = new RegionHealth({ clock });
    fail(health, 'us-east-1');
    await clock.advance(10 * seconds);

    expect(health.markFailure('us-east-1')).toBe(0);
    expect(health.cooldownRemainingMs('us-east-1')).toBe(50 * seconds);
  });

  it('tracks each route on its own', () => {
    const health = new RegionHealth({ clock: createFakeClock() });

    fail(health, 'us-east-1');

    expect(health.isAvailable('us-east-1')).toBe(false);
    expect(health.isAvailable('ap-northeast-1')).toBe(true);
  });

  describe('probes of cooling routes', () => {
    it('lets one call a second probe the cooling route that failed longest ago', async () => {
      const clock = createFakeClock();
      const health = new RegionHealth({ clock });
      fail(health, 'tokyo');
      await clock.advance(100);
      fail(health, 'osaka');

      expect(health.claimProbe(['osaka', 'tokyo'])).toBe('tokyo');
      expect(health.claimProbe(['osaka', 'tokyo'])).toBe('osaka');
      expect(health.claimProbe(['osaka', 'tokyo'])).toBeUndefined();
      await clock.advance(999);
      expect(health.claimProbe(['osaka', 'tokyo'])).toBeUndefined();
      await clock.advance(1);
      expect(health.claimProbe(['osaka', 'tokyo'])).toBe('tokyo');
    });

    it('probes the other cooling route next when a probe fails', async () => {
      const clock = createFakeClock();
      const health = new RegionHealth({ clock });
      fail(health, 'tokyo');
      fail(health, 'osaka');
      await clock.advance(1_000);

      expect(health.claimProbe(['tokyo', 'osaka'])).toBe('tokyo');
      health.markFailure('tokyo');
      await clock.advance(1_000);
      expect(health.claimProbe(['tokyo', 'osaka'])).toBe('osaka');
    });

    it('offers no probe of a route that is not cooling, or not among those asked about', () => {
      const health = new RegionHealth({ clock: createFakeClock() });
      fail(health, 'tokyo', 2);
      fail(health, 'osaka');

      expect(health.claimProbe(['tokyo'])).toBeUndefined();
      expect(health.claimProbe([])).toBeUndefined();
      expect(health.claimProbe(['virginia', 'osaka'])).toBe('osaka');
    });

    it('ends the cooldown when a probe succeeds', () => {
      const health = new RegionHealth({ clock: createFakeClock() });
      fail(health, 'tokyo');
      const probed = health.claimProbe(['tokyo']);

      health.markSuccess(probed ?? '');

      expect(health.isAvailable('tokyo')).toBe(true);
    });
  });

  it('reports every route that failed since its last success', async () => {
    const clock = createFakeClock();
    const health = new RegionHealth({
      clock,
      baseCooldownMs: 1_000,
      maxCooldownMs: 5_000,
      failureThreshold: 1,
    });
    health.markFailure('us-east-1');
    health.markFailure('us-west-2');
    await clock.advance(1_000);
    health.markFailure('us-west-2');

    expect(health.snapshot()).toEqual([
      { region: 'us-east-1', available: true, failureCount: 1, cooldownMs: 1_000, cooldownRemainingMs: 0 },
      {
        region: 'us-west-2',
        available: false,
        failureCount: 2,
        cooldownMs: 2_000,
        cooldownRemainingMs: 2_000,
      },
    ]);
  });

  it('rejects a cap below the base cooldown, a threshold below 1 and a negative probe interval', () => {
    expect(() => new RegionHealth({ baseCooldownMs: 10, maxCooldownMs: 5 })).toThrow(RangeError);
    expect(() => new RegionHealth({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new RegionHealth({ failureThreshold: 1.5 })).toThrow(RangeError);
    expect(() => new RegionHealth({ probeIntervalMs: -1 })).toThrow(RangeError);
  });
});
