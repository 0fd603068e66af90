/**
 * Expiry by DynamoDB's TTL rules (epoch seconds in an item attribute), shared by the session and
 * connection stores, in memory and on DynamoDB alike.
 */

/** Epoch seconds at which something written at `nowMs` expires (DynamoDB's TTL unit). */
export function expiresAtSeconds(nowMs: number, ttlSeconds: number): number {
  return Math.floor(nowMs / 1_000) + ttlSeconds;
}

/**
 * Whether an item whose TTL attribute is `expiresAt` (epoch seconds) has expired at `nowMs`.
 * DynamoDB deletes expired items only eventually (typically within days), so stores hide them
 * themselves on read; an item without the attribute never expires.
 */
export function hasExpired(expiresAt: number | undefined, nowMs: number): boolean {
  return expiresAt !== undefined && expiresAt * 1_000 <= nowMs;
}

/** Asserts a TTL is a positive integer number of seconds. */
export function assertTtlSeconds(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new RangeError(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
  }
}
