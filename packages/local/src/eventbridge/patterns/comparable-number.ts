/**
 * Numbers as Event Ruler (the matcher behind EventBridge) compares them in `numeric` and
 * numeric `anything-but` matching: values from -5.0e9 to +5.0e9 inclusive, to six digits right
 * of the decimal point (`ComparableNumber.java`: the value times 10^6, truncated). 300, 300.0
 * and 3.0e2 are one number; 1.0000001 and 1.0000002 are too.
 */

/** The largest magnitude a numeric comparison accepts. */
export const numericLimit = 5e9;

/** The message EventBridge gives for a numeric operand out of range. */
export const numericRangeMessage = 'Value must be between -5.0E9 and 5.0E9, inclusive';

/**
 * `value` in millionths, rounded towards negative infinity, computed exactly from the number's
 * shortest decimal form (so 0.7 is 700000, not 699999); `undefined` outside ±5.0e9 or for a
 * non-finite value, which numeric comparisons never match.
 */
export function toMicros(value: number): bigint | undefined {
  if (!Number.isFinite(value) || value < -numericLimit || value > numericLimit) return undefined;
  const [mantissa = '0', exponentText = '0'] = value.toExponential().split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const shift = Number(exponentText) - (digits.length - 1) + 6;
  const magnitude = BigInt(digits);
  if (shift >= 0) {
    const scaled = magnitude * 10n ** BigInt(shift);
    return negative ? -scaled : scaled;
  }
  const divisor = 10n ** BigInt(-shift);
  const quotient = magnitude / divisor;
  if (!negative) return quotient;
  return magnitude % divisor === 0n ? -quotient : -quotient - 1n;
}
