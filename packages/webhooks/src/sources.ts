import { ConfigurationError, silentLogger } from '@mangaassist/commons';
import {
  catalogBatchSchema,
  reviewPayloadSchema,
  stripeEventSchema,
  type WebhookSource,
  webhookSources,
} from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import type { FmGateway } from '@mangaassist/fm-gateway';
import type { CatalogEnrichmentQueue } from './catalog-enrichment-queue.js';
import { IdempotencyCatalogFirstSeenStore } from './catalog-first-seen.js';
import { makeCatalogProcessor } from './processors/catalog-processor.js';
import { makeReviewProcessor } from './processors/review-processor.js';
import { makeSentimentClassifier } from './processors/review-sentiment.js';
import { makeStripeProcessor } from './processors/stripe-processor.js';
import { payloadEventId } from './receiver/event-id.js';
import {
  makeWebhookReceiver,
  type WebhookReceiver,
  type WebhookReceiverDependencies,
} from './receiver/webhook-receiver.js';
import type { SignatureScheme } from './signature-scheme.js';
import { signatureSchemes } from './signatures/signature-schemes.js';

/**
 * The signature scheme of each source: Stripe's own for `stripe`, Standard Webhooks for
 * `reviews` and `catalog`. The same scheme checks the format of the source's secrets at load.
 */
export const webhookSchemes: Readonly<Record<WebhookSource, SignatureScheme>> = {
  stripe: signatureSchemes.stripe,
  reviews: signatureSchemes['standard-webhooks'],
  catalog: signatureSchemes['standard-webhooks'],
};

/** What the processors publish to and call. */
export interface WebhookProcessingDependencies {
  /** Where `PaymentCompleted`, `ReviewSubmitted` and `CatalogUpdate.*` go. */
  readonly events: EventPublisher;
  /**
   * Where each catalog item goes for its enrichment, in catalog order per product; required when
   * `catalog` is served.
   */
  readonly catalogEnrichment?: CatalogEnrichmentQueue;
  /** The FM gateway (`FmGateway`), for the reviews' sentiment; required when `reviews` is served. */
  readonly gateway?: Pick<FmGateway, 'complete'>;
  /** Budget of one sentiment answer; past it the sentiment is `unknown`. @default 1500 */
  readonly sentimentDeadlineMs?: number;
}

export type WebhookDependencies = WebhookReceiverDependencies & WebhookProcessingDependencies;

/**
 * The receiver of one source, from the one per-source table the deployed functions and
 * `pnpm dev` share:
 *
 * | source    | scheme              | schema                | idempotency key          | processor |
 * |-----------|---------------------|-----------------------|--------------------------|-----------|
 * | `stripe`  | `stripe`            | `stripeEventSchema`   | `stripe:{id}`            | `PaymentCompleted` for a paid Checkout Session |
 * | `reviews` | `standard-webhooks` | `reviewPayloadSchema` | `reviews:{review_id}`    | sentiment (fast model), `ReviewSubmitted` |
 * | `catalog` | `standard-webhooks` | `catalogBatchSchema`  | `catalog:{batch_id}`     | one `CatalogUpdate.{type}` and one enrichment message per item, stamped with the batch's first-seen time (`catalog-first-seen:{batch_id}`) |
 *
 * Reviews and catalog are keyed on the payload's own id, not the Standard Webhooks
 * `webhook-id`, although both are signed: the payload id stays the same across a sender's
 * retries *and* across a re-send under a new `webhook-id` (a manual resend, a duplicate from the
 * sender's own at-least-once pipeline), which would otherwise publish the review or the catalog
 * twice; and it is what a partner on the `hmac-sha256-hex` scheme (which has no delivery id)
 * would send too. The consequence, documented for partners: a changed review or catalog batch
 * must come with a new `review_id` / `batch_id` — a repeat of an id already processed within the
 * idempotency window (7 days) is answered `already_processed`. The `webhook-id` is still logged
 * with every delivery.
 *
 * Throws `ConfigurationError` for `reviews` without a gateway, or `catalog` without the catalog
 * enrichment queue.
 */
export function makeSourceReceiver(
  source: WebhookSource,
  dependencies: WebhookDependencies,
): WebhookReceiver {
  const { events } = dependencies;
  switch (source) {
    case 'stripe':
      return makeWebhookReceiver(
        {
          source,
          scheme: webhookSchemes.stripe,
          schema: stripeEventSchema,
          eventId: payloadEventId('id'),
          processor: makeStripeProcessor({ events }),
        },
        dependencies,
      );
    case 'reviews': {
      const { gateway } = dependencies;
      if (!gateway) throw new ConfigurationError('The reviews webhook needs the FM gateway (sentiment).');
      const classifySentiment = makeSentimentClassifier({
        gateway,
        logger: dependencies.logger ?? silentLogger,
        ...(dependencies.sentimentDeadlineMs !== undefined
          ? { deadlineMs: dependencies.sentimentDeadlineMs }
          : {}),
      });
      return makeWebhookReceiver(
        {
          source,
          scheme: webhookSchemes.reviews,
          schema: reviewPayloadSchema,
          eventId: payloadEventId('review_id'),
          processor: makeReviewProcessor({ events, classifySentiment }),
        },
        dependencies,
      );
    }
    case 'catalog': {
      const { catalogEnrichment } = dependencies;
      if (!catalogEnrichment) {
        throw new ConfigurationError('The catalog webhook needs the catalog enrichment queue.');
      }
      return makeWebhookReceiver(
        {
          source,
          scheme: webhookSchemes.catalog,
          schema: catalogBatchSchema,
          eventId: payloadEventId('batch_id'),
          processor: makeCatalogProcessor({
            events,
            enrichment: catalogEnrichment,
            // In the deliveries' own store, so that it is forgotten with them (see the class).
            firstSeen: new IdempotencyCatalogFirstSeenStore(dependencies.idempotency, {
              ...(dependencies.now ? { now: dependencies.now } : {}),
            }),
          }),
        },
        dependencies,
      );
    }
  }
}

/** The receivers of `sources` (every source by default): mount them with `makeWebhookRouter`. */
export function makeWebhookReceivers(
  dependencies: WebhookDependencies,
  sources: readonly WebhookSource[] = webhookSources,
): WebhookReceiver[] {
  return sources.map((source) => makeSourceReceiver(source, dependencies));
}
