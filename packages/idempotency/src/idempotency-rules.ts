/**
 * The rules every idempotency store applies the same way, in memory and on DynamoDB alike: what a
 * valid key, in-progress time and summary are, and when a record counts as absent.
 */

/** Limits of the idempotency stores. */
export const idempotencyLimits = {
  /** DynamoDB's limit for a partition key value, in UTF-8 bytes. */
  maxKeyBytes: 2_048,
  /**
   * Largest summary, in UTF-8 bytes of its JSON: a summary is a receipt answered to duplicates,
   * not a result store, and must stay far below DynamoDB's 400 KB item limit.
   */
  maxSummaryBytes: 16_384,
  /** Claim attempts when the record changes between a failed claim and the read that explains it. */
  maxClaimAttempts: 3,
} as const;

/** A record as both stores keep it; `inProgressUntil` is epoch ms, `expiresAt` epoch seconds (TTL). */
export type IdempotencyRecord =
  | {
      readonly status: 'IN_PROGRESS';
      readonly token: string;
      readonly inProgressUntil: number;
      readonly expiresAt: number;
    }
  | {
      readonly status: 'COMPLETED';
      readonly token: string;
      readonly expiresAt: number;
      readonly summary: Readonly<Record<string, unknown>>;
    };

/** Throws `RangeError` unless `key` is a non-empty string of at most 2 048 UTF-8 bytes. */
export function assertIdempotencyKey(key: string): void {
  if (key.length === 0) throw new RangeError('An idempotency key must not be empty');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > idempotencyLimits.maxKeyBytes) {
    throw new RangeError(
      `An idempotency key must be at most ${idempotencyLimits.maxKeyBytes} bytes, got ${bytes}`,
    );
  }
}

/** Throws `RangeError` unless the in-progress time is a positive, finite number of seconds. */
export function assertInProgressSeconds(seconds: number): void {
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new RangeError(`inProgressSeconds must be a positive number, got ${seconds}`);
  }
}

/** Throws `RangeError` unless the claim token is a non-empty string. */
export function assertClaimToken(token: string): void {
  if (token.length === 0) throw new RangeError('A claim token must not be empty');
}

/**
 * The summary as it is stored and answered: its JSON form (undefined fields dropped, dates as
 * strings), so every store returns the same thing. Throws `RangeError` when it is larger than
 * `maxSummaryBytes`, `TypeError` when it is not JSON (a bigint, a cycle).
 */
export function storableSummary(summary: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const json = JSON.stringify(summary);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > idempotencyLimits.maxSummaryBytes) {
    throw new RangeError(
      `An idempotency summary must be at most ${idempotencyLimits.maxSummaryBytes} bytes of JSON, got ${bytes}`,
    );
  }
  return JSON.parse(json) as Record<string, unknown>;
}

/** When a claim taken at `nowMs` stops being in progress, epoch ms. */
export function inProgressUntil(nowMs: number, inProgressSeconds: number): number {
  return nowMs + Math.ceil(inProgressSeconds * 1_000);
}

/**
 * Whether a key with this record may be claimed at `nowMs`: no record, an expired one (DynamoDB's
 * TTL deletes only eventually, so an expired record is absent by definition), or a claim whose
 * in-progress time has run out.
 */
export function isClaimable(record: IdempotencyRecord | undefined, nowMs: number): boolean {
  if (record === undefined || isExpired(record, nowMs)) return true;
  return record.status === 'IN_PROGRESS' && record.inProgressUntil <= nowMs;
}

/** Whether the record's TTL (`expiresAt`, epoch seconds) has passed at `nowMs`. */
export function isExpired(record: IdempotencyRecord, nowMs: number): boolean {
  return record.expiresAt <= nowSeconds(nowMs);
}

/** Epoch seconds (DynamoDB's TTL unit) of `nowMs`, rounded down. */
export function nowSeconds(nowMs: number): number {
  return Math.floor(nowMs / 1_000);
}
