import { formatUsd } from '@mangaassist/fm-gateway';
import { describe, expect, it } from 'vitest';
import { nanoToUsd, usdToNano } from './nano-usd.js';

describe('usdToNano', () => {
  it.each([
    ['0', 0],
    ['0.000412', 412_000],
    ['1.5', 1_500_000_000],
    ['0.00000025', 250],
    ['12', 12_000_000_000],
    ['0.000000001', 1],
  ])('converts %s USD to %i nano-dollars', (amount, nano) => {
    expect(usdToNano(amount)).toBe(nano);
  });

  it('rounds half up past nine decimals', () => {
    expect(usdToNano('0.0000000014')).toBe(1);
    expect(usdToNano('0.0000000015')).toBe(2);
  });

  it('sums many small amounts exactly where floats drift', () => {
    const amounts = Array.from({ length: 10_000 }, () => '0.00000031');

    expect(amounts.reduce((sum, amount) => sum + usdToNano(amount), 0)).toBe(3_100_000);
    expect(amounts.reduce((sum, amount) => sum + Number(amount), 0)).not.toBe(0.0031);
  });

  it('reads every amount formatUsd writes without loss', () => {
    for (const amount of [4.12e-4, 0.1, 0.3, 1.23456789, 17]) {
      expect(nanoToUsd(usdToNano(formatUsd(amount)))).toBe(formatUsd(amount));
    }
  });

  it.each(['', '-1', '1e-6', '0.', '.5', 'abc', '1,5'])('rejects %j', (amount) => {
    expect(() => usdToNano(amount)).toThrow(RangeError);
  });

  it('rejects amounts too large to count exactly', () => {
    expect(() => usdToNano('10000000')).toThrow(RangeError);
  });
});

describe('nanoToUsd', () => {
  it('writes a plain decimal with trailing zeros trimmed', () => {
    expect(nanoToUsd(0)).toBe('0');
    expect(nanoToUsd(412_000)).toBe('0.000412');
    expect(nanoToUsd(1_500_000_000)).toBe('1.5');
    expect(nanoToUsd(1)).toBe('0.000000001');
  });

  it('rejects negative and fractional amounts', () => {
    expect(() => nanoToUsd(-1)).toThrow(RangeError);
    expect(() => nanoToUsd(0.5)).toThrow(RangeError);
  });
});
