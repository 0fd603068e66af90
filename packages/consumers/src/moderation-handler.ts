import type { Logger } from '@mangaassist/commons';
import { busEvents, moderationFlaggedDetailSchema } from '@mangaassist/contracts';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import { PermanentConsumerError } from './consumer-errors.js';
import { type ConsumerFunction, makeEventConsumer } from './event-consumer.js';
import type { ReviewStore } from './review-store.js';

export interface ModerationHandlerOptions {
  /** The consumed-events store. */
  readonly dedupe: IdempotencyStore;
  readonly reviews: ReviewStore;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Wall-clock epoch ms (`hidden_at`). @default Date.now */
  readonly now?: () => number;
}

/** Severities that hide a review (the rule `moderation-high-severity` routes only these). */
export const hidingSeverities: ReadonlySet<string> = new Set(['high', 'critical']);

const maxReasonChars = 500;
const { ModerationFlagged } = busEvents;

/**
 * The moderation handler, behind `makeEventConsumer`: a `ModerationFlagged` of severity `high` or
 * `critical` hides the review and records why (`hidden: true`, `hidden_reason`, `hidden_at`,
 * `severity`, `categories`, `source_event_id`). Idempotent twice over: the wrapper skips a
 * redelivered event, and a review already hidden keeps its first reason (`already-hidden`). A
 * lower severity is skipped (`below-threshold`; the rule never sends one); any other event is a
 * permanent failure (`unhandled-event`). A store failure is transient (retried). Emits nothing.
 */
export function makeModerationHandlerConsumer(options: ModerationHandlerOptions): ConsumerFunction {
  return makeEventConsumer({
    name: 'moderation-handler',
    dedupe: options.dedupe,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.now === undefined ? {} : { now: options.now }),
    consume: async (event, context) => {
      if (
        event.source !== ModerationFlagged.source ||
        event['detail-type'] !== ModerationFlagged.detailType
      ) {
        throw new PermanentConsumerError(
          `moderation-handler does not handle ${event.source} / ${event['detail-type']}`,
          'unhandled-event',
        );
      }
      const parsed = moderationFlaggedDetailSchema.safeParse(event.detail);
      if (!parsed.success)
        throw new PermanentConsumerError('not a ModerationFlagged detail', 'invalid-detail');
      const detail = parsed.data;
      const base = { review_id: detail.review_id, severity: detail.severity };
      if (!hidingSeverities.has(detail.severity)) {
        return { status: 'skipped', reason: 'below-threshold', summary: base };
      }
      const outcome = await options.reviews.hide(detail.review_id, detail.product_id, {
        reason: hiddenReason(detail.severity, detail.reason, detail.flagged_categories),
        at: new Date(context.now()).toISOString(),
        severity: detail.severity,
        categories: detail.flagged_categories,
        sourceEventId: context.eventId,
      });
      if (outcome === 'already_hidden') return { status: 'skipped', reason: 'already-hidden', summary: base };
      context.logger.warn('review hidden', { ...base, eventId: context.eventId });
      return { status: 'processed', summary: { ...base, hidden: true } };
    },
  });
}

/** `moderation (high): <the model's reason>`, or the categories when it gave none; bounded. */
function hiddenReason(severity: string, reason: string, categories: readonly string[]): string {
  const why = reason.trim() === '' ? categories.join(', ') || 'no reason given' : reason.trim();
  return Array.from(`moderation (${severity}): ${why}`).slice(0, maxReasonChars).join('');
}
