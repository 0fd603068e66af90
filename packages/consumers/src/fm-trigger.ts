import type { Clock, Logger } from '@mangaassist/commons';
import { busEvents } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import { PermanentConsumerError } from './consumer-errors.js';
import type { ConsumerModel } from './consumer-model.js';
import type { EmailSender } from './email-sender.js';
import { type ConsumerFunction, makeEventConsumer } from './event-consumer.js';
import { makeOrderConfirmation, type ReplayedConfirmationPolicy } from './order-confirmation.js';
import { makeReviewModeration } from './review-moderation.js';
import type { ReviewStore } from './review-store.js';

export interface FmTriggerOptions {
  /** The consumed-events store: event ids, and one confirmation record per order. */
  readonly dedupe: IdempotencyStore;
  /** Where `ModerationFlagged` goes. */
  readonly events: EventPublisher;
  /** The FM gateway (`FmGateway`). */
  readonly model: ConsumerModel;
  readonly emails: EmailSender;
  readonly reviews: ReviewStore;
  /** Catalog key or alias of every call. @default 'fast' */
  readonly modelKey?: string;
  /** Budget of each model answer. @default 5000 */
  readonly deadlineMs?: number;
  /** @default 'send-missing' */
  readonly replayedConfirmations?: ReplayedConfirmationPolicy;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Wall-clock epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Drives the model deadlines. @default systemClock */
  readonly clock?: Clock;
}

const { PaymentCompleted, ReviewSubmitted } = busEvents;

/**
 * The FM trigger (seed 000 §5.3 `EventDrivenFMTrigger`, fixed), behind `makeEventConsumer`:
 *
 * | event                | work                                                            |
 * |----------------------|-----------------------------------------------------------------|
 * | `PaymentCompleted`   | confirmation text (fast model) → one email per order            |
 * | `ReviewSubmitted`    | moderation verdict → recorded on the review; unsafe or unreadable → `ModerationFlagged` |
 *
 * Catalog updates are not its work: their enrichment must follow the catalog's order per product,
 * which the bus does not keep, so it runs from the catalog enrichment queue
 * (`makeCatalogEnrichmentConsumer`).
 *
 * It emits only what `consumerEmissions['fm-trigger']` allows: `ModerationFlagged` (with chain
 * metadata), and `InferenceCompleted` through the gateway. Any other event is a permanent
 * failure (`unhandled-event`): the rules never send one. Failure and idempotency semantics: see
 * `makeEventConsumer`, `makeOrderConfirmation`, `makeReviewModeration`.
 */
export function makeFmTriggerConsumer(options: FmTriggerOptions): ConsumerFunction {
  const shared = {
    model: options.model,
    ...(options.modelKey === undefined ? {} : { modelKey: options.modelKey }),
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  };
  const confirm = makeOrderConfirmation({
    ...shared,
    emails: options.emails,
    dedupe: options.dedupe,
    ...(options.replayedConfirmations === undefined
      ? {}
      : { replayedConfirmations: options.replayedConfirmations }),
  });
  const moderate = makeReviewModeration({ ...shared, reviews: options.reviews });

  return makeEventConsumer({
    name: 'fm-trigger',
    dedupe: options.dedupe,
    events: options.events,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.now === undefined ? {} : { now: options.now }),
    consume: async (event, context) => {
      const { source } = event;
      const detailType = event['detail-type'];
      if (source === PaymentCompleted.source && detailType === PaymentCompleted.detailType) {
        return confirm(event, context);
      }
      if (source === ReviewSubmitted.source && detailType === ReviewSubmitted.detailType) {
        return moderate(event, context);
      }
      throw new PermanentConsumerError(
        `fm-trigger does not handle ${source} / ${detailType}`,
        'unhandled-event',
      );
    },
  });
}
