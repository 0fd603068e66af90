import { describe, expect, it } from 'vitest';
import { secondsUntilNextUtcMidnight, utcDay } from './utc-day.js';

describe('utcDay', () => {
  it('names the UTC calendar day, whatever the local time zone', () => {
    expect(utcDay(Date.UTC(2025, 0, 1, 23, 59, 59, 999))).toBe('2025-01-01');
    expect(utcDay(Date.UTC(2025, 0, 2))).toBe('2025-01-02');
  });
});

describe('secondsUntilNextUtcMidnight', () => {
  it('counts whole seconds to the next midnight, rounding up', () => {
    expect(secondsUntilNextUtcMidnight(Date.UTC(2025, 0, 1, 12))).toBe(43_200);
    expect(secondsUntilNextUtcMidnight(Date.UTC(2025, 0, 1, 23, 59, 59, 500))).toBe(1);
  });

  it('counts a full day at midnight exactly', () => {
    expect(secondsUntilNextUtcMidnight(Date.UTC(2025, 0, 2))).toBe(86_400);
  });
});
