import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import { MemoryReviewStore } from './memory-review-store.js';
import { makeModerationHandlerConsumer } from './moderation-handler.js';
import type { ReviewStore } from './review-store.js';
import { moderationFlaggedEvent, reviewSubmittedEvent } from './testing/consumer-fixtures.js';

function moderationHandler(reviews: ReviewStore = new MemoryReviewStore()) {
  const consumer = makeModerationHandlerConsumer({
    dedupe: new MemoryIdempotencyStore(),
    reviews,
    now: () => Date.UTC(2026, 0, 31, 9, 1),
  });
  return { consumer, reviews };
}

describe('moderation-handler', () => {
  it('hides a review flagged high and records why', async () => {
    const { consumer, reviews } = moderationHandler();
    const event = moderationFlaggedEvent();

    expect(await consumer(event)).toMatchObject({
      status: 'processed',
      summary: { review_id: 'review-7', hidden: true },
    });
    expect(await reviews.get('review-7')).toStrictEqual({
      reviewId: 'review-7',
      productId: 'product-onepiece-108',
      hidden: {
        reason: 'moderation (high): Threatens to publish the author’s address.',
        at: '2026-01-31T09:01:00.000Z',
        severity: 'high',
        categories: ['harassment', 'threat'],
        sourceEventId: event.id,
      },
    });
  });

  it('hides a review flagged critical', async () => {
    const { consumer, reviews } = moderationHandler();
    await consumer(moderationFlaggedEvent({ severity: 'critical' }));
    expect((await reviews.get('review-7'))?.hidden?.severity).toBe('critical');
  });

  it('names the categories as the reason when the model gave none', async () => {
    const { consumer, reviews } = moderationHandler();
    await consumer(moderationFlaggedEvent({ reason: '' }));
    expect((await reviews.get('review-7'))?.hidden?.reason).toBe('moderation (high): harassment, threat');
  });

  it('handles a redelivered event once', async () => {
    const { consumer } = moderationHandler();
    const event = moderationFlaggedEvent();
    await consumer(event);
    expect(await consumer(event)).toMatchObject({ status: 'duplicate' });
  });

  it('keeps the first reason when another flag arrives for a hidden review', async () => {
    const { consumer, reviews } = moderationHandler();
    const first = moderationFlaggedEvent();
    await consumer(first);
    const second = await consumer(
      moderationFlaggedEvent({ severity: 'critical', reason: 'Another reason.' }),
    );

    expect(second).toMatchObject({ status: 'skipped', reason: 'already-hidden' });
    expect((await reviews.get('review-7'))?.hidden).toMatchObject({
      severity: 'high',
      sourceEventId: first.id,
    });
  });

  it('leaves a review flagged below high visible', async () => {
    const { consumer, reviews } = moderationHandler();
    const result = await consumer(moderationFlaggedEvent({ severity: 'medium', review_required: true }));
    expect(result).toMatchObject({ status: 'skipped', reason: 'below-threshold' });
    expect(await reviews.get('review-7')).toBeUndefined();
  });

  it('records any other event as a permanent failure', async () => {
    const { consumer } = moderationHandler();
    expect(await consumer(reviewSubmittedEvent())).toMatchObject({
      status: 'rejected',
      reason: 'unhandled-event',
    });
  });

  it('fails transiently when the review store fails, and hides the review on the retry', async () => {
    const memory = new MemoryReviewStore();
    let attempts = 0;
    const flaky: ReviewStore = {
      get: (reviewId) => memory.get(reviewId),
      recordModeration: (...args) => memory.recordModeration(...args),
      hide: async (...args) => {
        if (++attempts === 1) throw new Error('ProvisionedThroughputExceededException');
        return memory.hide(...args);
      },
    };
    const { consumer } = moderationHandler(flaky);
    const event = moderationFlaggedEvent();

    await expect(consumer(event)).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(await consumer(event)).toMatchObject({ status: 'processed' });
    expect((await memory.get('review-7'))?.hidden).toBeDefined();
  });
});
