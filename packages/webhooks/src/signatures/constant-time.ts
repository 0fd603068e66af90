import { createHmac, timingSafeEqual } from 'node:crypto';

/** Bytes to sign: strings are taken as UTF-8, byte arrays exactly as they are. */
export type SignedPart = string | Uint8Array;

/** HMAC-SHA256 of the concatenated parts; a string key is used as its UTF-8 bytes (as Node and Stripe do). */
export function hmacSha256(key: string | Uint8Array, parts: readonly SignedPart[]): Buffer {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/**
 * Whether any candidate equals any expected value, compared in constant time with
 * `crypto.timingSafeEqual` over ASCII bytes.
 *
 * Every pair is compared — no early exit — so the time taken does not reveal which secret or
 * which candidate matched. Candidates must already be validated to the expected encoding and
 * length (a length difference only reveals what the format already makes public); a pair of
 * different lengths counts as no match rather than throwing.
 */
export function anyEqualInConstantTime(expected: readonly string[], candidates: readonly string[]): boolean {
  let matched = false;
  for (const wanted of expected) {
    const wantedBytes = Buffer.from(wanted, 'latin1');
    for (const candidate of candidates) {
      const candidateBytes = Buffer.from(candidate, 'latin1');
      const equal =
        candidateBytes.length === wantedBytes.length && timingSafeEqual(candidateBytes, wantedBytes);
      matched = equal || matched;
    }
  }
  return matched;
}
