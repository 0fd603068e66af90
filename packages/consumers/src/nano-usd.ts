/**
 * USD amounts as whole nano-dollars (1e-9 USD) for counters that many writers add to: integers
 * add exactly (in DynamoDB's 38-digit numbers and in JavaScript up to 2^53 nano-dollars, about
 * 9 million USD per counter), where summing binary floats drifts. Nano rather than micro because
 * events carry up to 8 decimals (`formatUsd`) and one Haiku input token costs 0.25 µ$: micro-dollar
 * counters would round every small request.
 */

const nanoPerUsd = 1_000_000_000n;
const decimalUsd = /^(\d+)(?:\.(\d+))?$/;

/**
 * A decimal USD string (`"0.000412"`, the `estimated_cost_usd` format) as whole nano-dollars,
 * converted digit by digit (no float): beyond 9 decimals it rounds half up. Throws `RangeError` for
 * anything but a plain non-negative decimal, or an amount past `Number.MAX_SAFE_INTEGER`
 * nano-dollars.
 *
 * @example usdToNano('0.000412') // 412_000
 */
export function usdToNano(amount: string): number {
  const match = decimalUsd.exec(amount);
  if (match === null) throw new RangeError(`not a decimal USD amount: ${JSON.stringify(amount)}`);
  const [, whole = '0', fraction = ''] = match;
  const kept = fraction.slice(0, 9).padEnd(9, '0');
  const roundUp = (fraction[9] ?? '0') >= '5' ? 1n : 0n;
  const nano = BigInt(whole) * nanoPerUsd + BigInt(kept) + roundUp;
  if (nano > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`USD amount too large to count exactly: ${amount}`);
  }
  return Number(nano);
}

/**
 * Whole nano-dollars as a plain decimal USD string, trailing zeros trimmed (`412000` ->
 * `"0.000412"`, `0` -> `"0"`). Throws `RangeError` for a negative or non-integer amount.
 */
export function nanoToUsd(nano: number): string {
  if (!Number.isSafeInteger(nano) || nano < 0) {
    throw new RangeError(`nano-dollars must be a non-negative safe integer, got ${nano}`);
  }
  const value = BigInt(nano);
  const whole = value / nanoPerUsd;
  const fraction = (value % nanoPerUsd).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}
