import { describe, expect, it } from 'vitest';
import { completeIsbn13, isbn13CheckDigit, isValidIsbn13 } from './isbn.js';

describe('ISBN-13', () => {
  it('computes the check digit of published books', () => {
    // ONE PIECE 1 (Jump Comics) 978-4-08-872509-3; The Pragmatic Programmer 978-0-13-595705-9.
    expect(isbn13CheckDigit('978408872509')).toBe(3);
    expect(isbn13CheckDigit('978013595705')).toBe(9);
    expect(completeIsbn13('978406384000')).toBe('9784063840001');
  });

  it('accepts a right check digit, hyphens or not, and refuses a wrong one', () => {
    expect(isValidIsbn13('978-4-08-872509-3')).toBe(true);
    expect(isValidIsbn13('9784088725093')).toBe(true);
    expect(isValidIsbn13('9784088725094')).toBe(false);
    expect(isValidIsbn13('4088725093')).toBe(false);
    expect(isValidIsbn13('9774088725093')).toBe(false);
  });

  it('refuses what is not twelve digits', () => {
    expect(() => isbn13CheckDigit('97840887250')).toThrow(RangeError);
    expect(() => isbn13CheckDigit('97840887250x')).toThrow(RangeError);
  });
});
