import type { ReviewHiding, ReviewModeration, ReviewStore, StoredReview } from './review-store.js';

/**
 * The review-store port in memory, with the DynamoDB store's semantics (the shared behaviour
 * suite holds both to them): for tests and `pnpm dev` without DynamoDB.
 */
export class MemoryReviewStore implements ReviewStore {
  private readonly reviews = new Map<string, StoredReview>();

  async get(reviewId: string): Promise<StoredReview | undefined> {
    const review = this.reviews.get(reviewId);
    return review === undefined ? undefined : structuredClone(review);
  }

  async recordModeration(reviewId: string, productId: string, moderation: ReviewModeration): Promise<void> {
    const current = this.reviews.get(reviewId);
    this.reviews.set(reviewId, {
      ...current,
      reviewId,
      productId: current?.productId ?? productId,
      moderation: structuredClone({ ...moderation, categories: [...moderation.categories] }),
    });
  }

  async hide(
    reviewId: string,
    productId: string,
    hiding: ReviewHiding,
  ): Promise<'hidden' | 'already_hidden'> {
    const current = this.reviews.get(reviewId);
    if (current?.hidden !== undefined) return 'already_hidden';
    this.reviews.set(reviewId, {
      ...current,
      reviewId,
      productId: current?.productId ?? productId,
      hidden: structuredClone({ ...hiding, categories: [...hiding.categories] }),
    });
    return 'hidden';
  }
}
