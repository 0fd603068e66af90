// The behaviour every ReviewStore must show, written once and run against each implementation
// (in memory beside it, DynamoDB in test/integration). For tests only: it imports vitest.
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ReviewHiding, ReviewModeration, ReviewStore } from '../review-store.js';

/** A recorded verdict. For tests. */
export function reviewModeration(overrides: Partial<ReviewModeration> = {}): ReviewModeration {
  return {
    safe: true,
    severity: 'none',
    categories: [],
    reason: 'A fair review of the volume.',
    reviewRequired: false,
    model: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    at: '2026-01-31T09:00:01.000Z',
    ...overrides,
  };
}

/** Why a review was hidden. For tests. */
export function reviewHiding(overrides: Partial<ReviewHiding> = {}): ReviewHiding {
  return {
    reason: 'moderation: threatens another customer',
    at: '2026-01-31T09:00:02.000Z',
    severity: 'high',
    categories: ['harassment', 'threat'],
    sourceEventId: `evt-${randomUUID()}`,
    ...overrides,
  };
}

/**
 * Registers the ReviewStore behaviour suite for one implementation. Each test uses a fresh review
 * id, so a store backed by a shared table needs no cleaning between tests.
 *
 * @example describeReviewStore('MemoryReviewStore', () => new MemoryReviewStore());
 */
export function describeReviewStore(name: string, makeStore: () => ReviewStore | Promise<ReviewStore>): void {
  describe(`${name} (ReviewStore behaviour)`, () => {
    let store: ReviewStore;
    let reviewId: string;
    const productId = 'product-onepiece-108';

    beforeEach(async () => {
      store = await makeStore();
      reviewId = `review-${randomUUID()}`;
    });

    it('knows nothing of a review it never stored', async () => {
      expect(await store.get(reviewId)).toBeUndefined();
    });

    it('records a verdict on a review it did not know and reads it back', async () => {
      const moderation = reviewModeration();
      await store.recordModeration(reviewId, productId, moderation);
      expect(await store.get(reviewId)).toStrictEqual({ reviewId, productId, moderation });
    });

    it('replaces a verdict with a later one', async () => {
      await store.recordModeration(reviewId, productId, reviewModeration());
      const later = reviewModeration({
        safe: false,
        severity: 'medium',
        categories: ['spam'],
        reviewRequired: true,
      });
      await store.recordModeration(reviewId, productId, later);
      expect((await store.get(reviewId))?.moderation).toStrictEqual(later);
    });

    it('hides a review and records why', async () => {
      const hiding = reviewHiding();
      expect(await store.hide(reviewId, productId, hiding)).toBe('hidden');
      expect(await store.get(reviewId)).toStrictEqual({ reviewId, productId, hidden: hiding });
    });

    it('keeps the first reason when a hidden review is hidden again', async () => {
      const first = reviewHiding();
      await store.hide(reviewId, productId, first);
      expect(await store.hide(reviewId, productId, reviewHiding({ severity: 'critical' }))).toBe(
        'already_hidden',
      );
      expect((await store.get(reviewId))?.hidden).toStrictEqual(first);
    });

    it('keeps a verdict and a hiding apart, whichever is written first', async () => {
      const moderation = reviewModeration({ safe: false, severity: 'high', categories: ['harassment'] });
      const hiding = reviewHiding();
      await store.hide(reviewId, productId, hiding);
      await store.recordModeration(reviewId, productId, moderation);
      expect(await store.get(reviewId)).toStrictEqual({ reviewId, productId, moderation, hidden: hiding });

      const other = `${reviewId}-other`;
      await store.recordModeration(other, productId, moderation);
      await store.hide(other, productId, hiding);
      expect(await store.get(other)).toStrictEqual({
        reviewId: other,
        productId,
        moderation,
        hidden: hiding,
      });
    });
  });
}
