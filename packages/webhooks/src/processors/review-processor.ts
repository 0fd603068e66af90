import type { ReviewSubmittedDetail, reviewPayloadSchema } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import type * as z from 'zod/mini';
import type { WebhookProcessor } from '../webhook-processor.js';
import type { SentimentClassifier } from './review-sentiment.js';
import { contractEvent, webhookEvents } from './webhook-events.js';

export type ReviewPayload = z.output<typeof reviewPayloadSchema>;

export interface ReviewProcessorOptions {
  /** Where `ReviewSubmitted` goes. */
  readonly events: EventPublisher;
  /** Usually `makeSentimentClassifier({ gateway })`: never fails because of the model. */
  readonly classifySentiment: SentimentClassifier;
}

/**
 * The reviews webhook processor (seed 000 §5.1): labels the review's sentiment with the fast
 * model, then publishes one `mangaassist.reviews` / `ReviewSubmitted` event with the review and
 * the sentiment (`unknown` when the model was slow, failed or answered nonsense — a review is
 * never refused because of the model). Moderation happens downstream, on the event.
 *
 * Rejects only when publishing fails (`EventPublishError`; the delivery is not acknowledged and
 * the sender's retry classifies and publishes again) or the delivery was aborted (the signal's
 * reason: classifying and publishing both run under the delivery's signal).
 */
export function makeReviewProcessor(options: ReviewProcessorOptions): WebhookProcessor<ReviewPayload> {
  return async (payload, context) => {
    const verdict = await options.classifySentiment(payload.review_text, {
      signal: context.signal,
      requestId: context.requestId,
    });
    const detail: ReviewSubmittedDetail = {
      review_id: payload.review_id,
      product_id: payload.product_id,
      ...(payload.rating === undefined ? {} : { rating: payload.rating }),
      review_text: payload.review_text,
      sentiment: verdict.sentiment,
      processing_stage: 'raw',
    };
    const { reviewSubmitted } = webhookEvents;
    await options.events.publish([contractEvent(reviewSubmitted, reviewSubmitted.detailType, detail)], {
      signal: context.signal,
    });
    return {
      status: 'processed',
      events: 1,
      detail: { review_id: payload.review_id, sentiment: verdict.sentiment, sentiment_basis: verdict.basis },
    };
  };
}
