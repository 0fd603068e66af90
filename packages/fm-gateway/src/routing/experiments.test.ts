import { describe, expect, it } from 'vitest';
import { pickVariant, stickyBucket } from './experiments.js';

const variant = (model: string, weight: number) => ({ model, weight });

describe('stickyBucket', () => {
  it('returns the same position in [0, 1) for the same experiment and session', () => {
    const position = stickyBucket('sonnet-20', 'session-abc');
    expect(position).toBeGreaterThanOrEqual(0);
    expect(position).toBeLessThan(1);
    expect(stickyBucket('sonnet-20', 'session-abc')).toBe(position);
  });

  it('splits sessions independently for different experiments', () => {
    const ids = Array.from({ length: 4000 }, (_, index) => `session-${index}`);
    const sameHalf = ids.filter(
      (id) => stickyBucket('first', id) < 0.5 === stickyBucket('second', id) < 0.5,
    ).length;
    expect(Math.abs(sameHalf / ids.length - 0.5)).toBeLessThan(0.05);
  });
});

describe('pickVariant', () => {
  const variants = [variant('a', 1), variant('b', 3)] as const;

  it('lays the position over cumulative weights', () => {
    expect(pickVariant('x', variants, undefined, () => 0).model).toBe('a');
    expect(pickVariant('x', variants, undefined, () => 0.2499).model).toBe('a');
    expect(pickVariant('x', variants, undefined, () => 0.25).model).toBe('b');
    expect(pickVariant('x', variants, undefined, () => 0.9999).model).toBe('b');
  });

  it('ignores the random source when a session id is given', () => {
    const bySession = pickVariant('x', variants, 'session-1', () => 0).model;
    expect(pickVariant('x', variants, 'session-1', () => 0.9999).model).toBe(bySession);
  });
});
