import { describe, expect, it } from 'vitest';
import { anyEqualInConstantTime, hmacSha256 } from './constant-time.js';

describe('anyEqualInConstantTime', () => {
  it('finds a match anywhere among expected values and candidates', () => {
    expect(anyEqualInConstantTime(['aaaa', 'bbbb'], ['cccc', 'bbbb'])).toBe(true);
    expect(anyEqualInConstantTime(['aaaa', 'bbbb'], ['cccc', 'dddd'])).toBe(false);
  });

  it('treats values of different lengths as unequal instead of throwing', () => {
    expect(anyEqualInConstantTime(['aaaa'], ['aaa', 'aaaaa', ''])).toBe(false);
  });

  it('finds nothing in empty lists', () => {
    expect(anyEqualInConstantTime([], ['aaaa'])).toBe(false);
    expect(anyEqualInConstantTime(['aaaa'], [])).toBe(false);
  });
});

describe('hmacSha256', () => {
  it('signs the concatenation of its parts, strings as UTF-8', () => {
    const whole = hmacSha256('key', [new TextEncoder().encode('1750000000.本')]);
    expect(hmacSha256('key', ['1750000000.', new TextEncoder().encode('本')])).toEqual(whole);
    expect(hmacSha256('key', ['1750000000.', '本'])).toEqual(whole);
  });
});
