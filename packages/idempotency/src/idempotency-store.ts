/** What claiming a delivery found. */
export type ClaimResult =
  /**
   * This caller owns the delivery now: process it, then `complete` or `release` it with `token`
   * (the token tells this claim apart from a later one taken after this one's time ran out).
   */
  | { readonly status: 'claimed'; readonly token: string }
  /** Processed before: answer with the stored summary, process nothing. */
  | { readonly status: 'completed'; readonly summary: Readonly<Record<string, unknown>> }
  /** Another attempt is processing it right now (its claim has not expired): retry later. */
  | { readonly status: 'in_progress' };

/**
 * What completing a claim did: `completed` stored the summary; `claim_lost` stored nothing,
 * because the claim is no longer this caller's (its in-progress time ran out and another attempt
 * claimed the key, or the record expired). The processing has happened either way.
 */
export type CompletionResult = 'completed' | 'claim_lost';

/**
 * The idempotency-store port: at most one processing per key (`source:event-id`), across
 * concurrent deliveries and instances. A claim is `in_progress` until completed, released, or
 * its in-progress time runs out (a crashed attempt must not block the sender's retries forever);
 * a completed record is kept for `ttlSeconds` after its completion (longer than the sender's
 * retry window), then the key is new again.
 *
 * `complete` and `release` act only on the claim whose `token` they carry: an attempt that
 * outlived its in-progress time can neither overwrite nor free the claim of the attempt that
 * took over. Both are safe to repeat.
 */
export interface IdempotencyStore {
  /** Claims `key` for `inProgressSeconds`, or says why not. */
  claim(key: string, options: { readonly inProgressSeconds: number }): Promise<ClaimResult>;
  /** Marks the claim done with a summary, kept until the record expires. */
  complete(key: string, token: string, summary: Readonly<Record<string, unknown>>): Promise<CompletionResult>;
  /** Gives the claim up (processing failed), so the sender's retry is processed; no-op if not ours. */
  release(key: string, token: string): Promise<void>;
}
