import type { SignatureVerdict } from '../signature-scheme.js';
import { refuse } from './verdicts.js';

/** Up to 12 decimal digits: epoch seconds well past the year 30000, never a float, sign or exponent. */
const unixSecondsPattern = /^[0-9]{1,12}$/;

/**
 * Parses epoch seconds written as plain decimal digits; undefined for anything else.
 *
 * Stricter than the reference libraries (`parseInt`, which takes `"17e2"` as 17 and `"12abc"` as
 * 12): garbage is refused instead of read as a different time. Leading zeros are accepted and, as
 * in both libraries, the value is signed in its normalised form (`String(number)`).
 */
export function parseUnixSeconds(value: string): number | undefined {
  const trimmed = value.trim();
  return unixSecondsPattern.test(trimmed) ? Number(trimmed) : undefined;
}

/**
 * Refuses a timestamp more than `toleranceSeconds` away from now, in the past (a replay or a
 * late retry) or in the future (a sender clock ahead, or a delivery prepared for later replay);
 * undefined when fresh. Exactly `toleranceSeconds` away is accepted, as in the Stripe and
 * Standard Webhooks libraries, and now is floored to whole seconds like theirs.
 */
export function checkTolerance(
  timestampSeconds: number,
  nowSeconds: number,
  toleranceSeconds: number,
): SignatureVerdict | undefined {
  const drift = Math.floor(nowSeconds) - timestampSeconds;
  if (Math.abs(drift) <= toleranceSeconds) return undefined;
  const direction = drift > 0 ? 'in the past' : 'in the future';
  return refuse(
    'timestamp_out_of_tolerance',
    `The delivery's timestamp is ${Math.abs(drift)} s ${direction}; at most ${toleranceSeconds} s is accepted.`,
  );
}
