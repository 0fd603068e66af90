import { describe, expect, it } from 'vitest';
import { toMicros } from './comparable-number.js';

describe('toMicros', () => {
  it('gives equal numbers however they were written the same value', () => {
    expect(toMicros(300)).toBe(300_000_000n);
    expect(toMicros(3.0e2)).toBe(toMicros(300.0));
  });

  it('is exact for decimals a binary fraction cannot hold', () => {
    expect(toMicros(0.7)).toBe(700_000n);
    expect(toMicros(301.8)).toBe(301_800_000n);
  });

  it('keeps six digits right of the decimal point, rounding towards negative infinity', () => {
    expect(toMicros(1.0000009)).toBe(1_000_000n);
    expect(toMicros(-1.0000001)).toBe(-1_000_001n);
    expect(toMicros(1e-7)).toBe(0n);
  });

  it('has no value outside ±5.0e9', () => {
    expect(toMicros(5e9)).toBe(5_000_000_000_000_000n);
    expect(toMicros(-5e9)).toBe(-5_000_000_000_000_000n);
    expect(toMicros(5.000001e9)).toBeUndefined();
    expect(toMicros(Number.NaN)).toBeUndefined();
  });
});
