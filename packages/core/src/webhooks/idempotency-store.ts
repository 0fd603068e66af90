/** What claiming a delivery found. */
export type ClaimResult =
  /** This caller owns the delivery now: process it, then `complete` or `release`. */
  | { readonly status: 'claimed' }
  /** Processed before: answer with the stored summary, process nothing. */
  | { readonly status: 'completed'; readonly summary: Readonly<Record<string, unknown>> }
  /** Another attempt is processing it right now (its claim has not expired): retry later. */
  | { readonly status: 'in_progress' };

/**
 * The idempotency-store port: at most one processing per key (`source:event-id`), across
 * concurrent deliveries and instances. A claim is `in_progress` until completed, released, or
 * its in-progress time runs out (a crashed attempt must not block the sender's retries forever);
 * a completed record is kept for `ttlSeconds` (longer than the sender's retry window).
 */
export interface IdempotencyStore {
  claim(key: string, options: { readonly inProgressSeconds: number }): Promise<ClaimResult>;
  /** Marks the claim done with a summary, kept until the record expires. */
  complete(key: string, summary: Readonly<Record<string, unknown>>): Promise<void>;
  /** Gives the claim up (processing failed), so the sender's retry is processed. */
  release(key: string): Promise<void>;
}
