import { createFakeClock } from '@mangaassist/commons/testing';
import { describe, expect, it } from 'vitest';
import { RegionHealth } from './region-health.js';

const seconds = 1_000;

describe('RegionHealth', () => {
  it('treats a region it has never seen as available', () => {
    const health = new RegionHealth({ clock: createFakeClock() });

    expect(health.isAvailable('us-east-1')).toBe(true);
    expect(health.cooldownRemainingMs('us-east-1')).toBe(0);
  });

  it('cools a failed region down for 60 s, then makes it available again', async () => {
    const clock = createFakeClock();
    const health = new RegionHealth({ clock });

    expect(health.markFailure('us-east-1')).toBe(60 * seconds);
    expect(health.isAvailable('us-east-1')).toBe(false);
    await clock.advance(59 * seconds);
    expect(health.cooldownRemainingMs('us-east-1')).toBe(1 * seconds);
    await clock.advance(1 * seconds);
    expect(health.isAvailable('us-east-1')).toBe(true);
  });

  it('doubles the cooldown with each failure after one: 60, 120, 240, 480, then 600, 600 s', async () => {
    const clock = createFakeClock();
    const health = new RegionHealth({ clock });
    const cooldowns: number[] = [];

    for (let i = 0; i < 6; i++) {
      const cooldownMs = health.markFailure('us-east-1');
      cooldowns.push(cooldownMs / seconds);
      expect(health.cooldownRemainingMs('us-east-1')).toBe(cooldownMs);
      await clock.advance(cooldownMs);
      expect(health.isAvailable('us-east-1')).toBe(true);
    }

    expect(cooldowns).toEqual([60, 120, 240, 480, 600, 600]);
  });

  it('resets the cooldown to 60 s after a success', async () => {
    const clock = createFakeClock();
    const health = new RegionHealth({ clock });
    health.markFailure('us-east-1');
    await clock.advance(60 * seconds);
    health.markFailure('us-east-1');
    await clock.advance(120 * seconds);

    health.markSuccess('us-east-1');

    expect(health.markFailure('us-east-1')).toBe(60 * seconds);
  });

  it('makes a cooling region available at once on a success', () => {
    const health = new RegionHealth({ clock: createFakeClock() });
    health.markFailure('us-east-1');

    health.markSuccess('us-east-1');

    expect(health.isAvailable('us-east-1')).toBe(true);
    expect(health.snapshot()).toEqual([]);
  });

  it('neither extends nor doubles a cooldown for failures reported while it runs', async () => {
    const clock = createFakeClock();
    const health = new RegionHealth({ clock });
    health.markFailure('us-east-1');
    await clock.advance(10 * seconds);

    expect(health.markFailure('us-east-1')).toBe(0);
    expect(health.cooldownRemainingMs('us-east-1')).toBe(50 * seconds);
    await clock.advance(50 * seconds);
    expect(health.markFailure('us-east-1')).toBe(120 * seconds);
  });

  it('tracks each region on its own', () => {
    const health = new RegionHealth({ clock: createFakeClock() });

    health.markFailure('us-east-1');

    expect(health.isAvailable('us-east-1')).toBe(false);
    expect(health.isAvailable('ap-northeast-1')).toBe(true);
  });

  it('reports every region that failed since its last success', async () => {
    const clock = createFakeClock();
    const health = new RegionHealth({ clock, baseCooldownMs: 1_000, maxCooldownMs: 5_000 });
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

  it('rejects a cap below the base cooldown', () => {
    expect(() => new RegionHealth({ baseCooldownMs: 10, maxCooldownMs: 5 })).toThrow(RangeError);
  });
});
