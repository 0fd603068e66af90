import { errorMessage } from '@mangaassist/commons';
import { type IdempotencyStore, IdempotencyUnavailableError } from '@mangaassist/idempotency';
import * as z from 'zod/mini';

/**
 * When the catalog webhook first took up a batch: the order key and the acceptance ("delivery
 * generation") its enrichment messages carry as `first_seen_at`. Every retry of a delivery —
 * after a failure, minutes or days later — must get the same time, so that the messages it sends
 * again are the same (the queue's content-based deduplication, the consumer's idempotency) and
 * keep their place in the catalog's order; a batch the webhook has forgotten (its delivery record
 * expired, so a re-send is processed again) must get a new one, so that the consumer does not
 * drop it as a duplicate of the first acceptance.
 */
export interface CatalogFirstSeenStore {
  /**
   * When the batch `batchId` was first seen, ISO 8601 UTC with milliseconds: now when it was not
   * seen before (or is forgotten), recorded before it is answered. Rejects when the time cannot be
   * recorded or read — then nothing may be sent for the batch.
   */
  firstSeen(batchId: string): Promise<string>;
}

export interface IdempotencyCatalogFirstSeenStoreOptions {
  /** The current time, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** The record's summary: the time, as `firstSeen` answers it. */
const firstSeenSummarySchema = z.object({ first_seen_at: z.iso.datetime({ precision: 3 }) });

/** Longest a crashed attempt's claim blocks the next one (a claim is followed by one write). */
const recordingSeconds = 10;
const maxAttempts = 3;

/**
 * A `CatalogFirstSeenStore` in the webhooks' idempotency store (the table that remembers the
 * deliveries), under `catalog-first-seen:{batch_id}`: the first attempt claims the key and
 * completes it with the time, every later one finds it completed and reads it. The record lives as
 * long as the store keeps completed records (the deliveries' 7 days), counted from the batch's
 * first processing — never past its delivery's record, which is completed later: so a delivery the
 * receiver has forgotten finds its time forgotten too, and is a new acceptance.
 *
 * The time is first written, then answered: an attempt that could not record it sends nothing
 * under it. Errors: `IdempotencyUnavailableError` when the store fails, or while another attempt
 * holds the claim without having completed it (for at most 10 s) — the receiver answers 503 and
 * the sender retries.
 */
export class IdempotencyCatalogFirstSeenStore implements CatalogFirstSeenStore {
  readonly #now: () => number;

  constructor(
    private readonly store: IdempotencyStore,
    options: IdempotencyCatalogFirstSeenStoreOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
  }

  async firstSeen(batchId: string): Promise<string> {
    const key = `catalog-first-seen:${batchId}`;
    for (let attempt = 1; ; attempt++) {
      let claim: Awaited<ReturnType<IdempotencyStore['claim']>>;
      try {
        claim = await this.store.claim(key, { inProgressSeconds: recordingSeconds });
      } catch (error) {
        throw new IdempotencyUnavailableError(key, error);
      }
      if (claim.status === 'completed') {
        const recorded = firstSeenSummarySchema.safeParse(claim.summary);
        if (recorded.success) return recorded.data.first_seen_at;
        throw new IdempotencyUnavailableError(key, new Error('the recorded first-seen time is unreadable'));
      }
      if (claim.status === 'in_progress') {
        throw new IdempotencyUnavailableError(
          key,
          new Error('the first-seen time is being recorded by another attempt'),
        );
      }
      const firstSeenAt = new Date(this.#now()).toISOString();
      let completed: Awaited<ReturnType<IdempotencyStore['complete']>>;
      try {
        completed = await this.store.complete(key, claim.token, { first_seen_at: firstSeenAt });
      } catch (error) {
        // Maybe written, maybe not: the retry reads whichever it was; nothing was sent under it.
        throw new IdempotencyUnavailableError(
          key,
          new Error(`the first-seen time was not recorded: ${errorMessage(error)}`),
        );
      }
      if (completed === 'completed') return firstSeenAt;
      // The claim lapsed and another attempt took the key: read the time it recorded.
      if (attempt >= maxAttempts) {
        throw new IdempotencyUnavailableError(key, new Error('the first-seen claim kept lapsing'));
      }
    }
  }
}
