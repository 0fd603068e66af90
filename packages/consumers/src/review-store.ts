import type { ModerationSeverity } from '@mangaassist/contracts';

/** A moderation verdict as recorded on a review (the reviews table's `moderation` map). */
export interface ReviewModeration {
  readonly safe: boolean;
  readonly severity: 'none' | ModerationSeverity;
  readonly categories: readonly string[];
  readonly reason: string;
  /** The verdict could not be read or trusted: a person decides. */
  readonly reviewRequired: boolean;
  /** Bedrock id of the model that judged. */
  readonly model: string;
  /** When it was judged, ISO 8601. */
  readonly at: string;
}

/** Why a review is hidden (the reviews table's `hidden_*` attributes). */
export interface ReviewHiding {
  readonly reason: string;
  /** ISO 8601. */
  readonly at: string;
  readonly severity: ModerationSeverity;
  readonly categories: readonly string[];
  /** The `ModerationFlagged` event that hid it. */
  readonly sourceEventId: string;
}

/** A review as the consumers know it. */
export interface StoredReview {
  readonly reviewId: string;
  readonly productId?: string;
  readonly moderation?: ReviewModeration;
  readonly hidden?: ReviewHiding;
}

/**
 * The review-store port (the reviews table, keyed by `review_id`). Each write touches only its
 * own attributes, so a verdict and a hiding never overwrite each other, in either order; the
 * first `productId` written for a review stays.
 */
export interface ReviewStore {
  get(reviewId: string): Promise<StoredReview | undefined>;
  /** Upserts the review's moderation verdict (a later verdict replaces an earlier one). */
  recordModeration(reviewId: string, productId: string, moderation: ReviewModeration): Promise<void>;
  /**
   * Hides the review and records why, unless it is hidden already (then nothing changes and the
   * first reason stays): `hidden` or `already_hidden`. Safe to repeat.
   */
  hide(reviewId: string, productId: string, hiding: ReviewHiding): Promise<'hidden' | 'already_hidden'>;
}
