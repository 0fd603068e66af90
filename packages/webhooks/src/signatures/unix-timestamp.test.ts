import { describe, expect, it } from 'vitest';
import { checkTolerance, parseUnixSeconds } from './unix-timestamp.js';

describe('parseUnixSeconds', () => {
  it('reads up to 12 plain decimal digits, ignoring surrounding spaces', () => {
    expect(parseUnixSeconds('1750000000')).toBe(1_750_000_000);
    expect(parseUnixSeconds(' 1750000000 ')).toBe(1_750_000_000);
    expect(parseUnixSeconds('0001750000000')).toBeUndefined();
    expect(parseUnixSeconds('000175000000')).toBe(175_000_000);
  });

  it.each(['', '-1', '+1', '1.5', '17e8', '0x10', '12abc', 'Infinity', '1 2', '1234567890123'])(
    'refuses %j',
    (value) => {
      expect(parseUnixSeconds(value)).toBeUndefined();
    },
  );
});

describe('checkTolerance', () => {
  it('accepts a timestamp up to the tolerance away, past or future', () => {
    expect(checkTolerance(1000, 1300, 300)).toBeUndefined();
    expect(checkTolerance(1600, 1300, 300)).toBeUndefined();
  });

  it('floors a fractional now as the reference libraries do', () => {
    expect(checkTolerance(1000, 1300.9, 300)).toBeUndefined();
  });

  it('refuses a timestamp one second beyond the tolerance, naming the direction', () => {
    expect(checkTolerance(999, 1300, 300)).toMatchObject({
      reason: 'timestamp_out_of_tolerance',
      message: expect.stringContaining('301 s in the past'),
    });
    expect(checkTolerance(1601, 1300, 300)).toMatchObject({
      reason: 'timestamp_out_of_tolerance',
      message: expect.stringContaining('301 s in the future'),
    });
  });
});
