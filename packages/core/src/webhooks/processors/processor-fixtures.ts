// Test data and an in-memory event publisher for the webhook processor tests.
import { type DomainEvent, EventPublishError, type EventPublisher } from '../../events/event-publisher.js';
import type { WebhookContext } from '../webhook-processor.js';
import type { CatalogBatch } from './catalog-processor.js';
import type { ReviewPayload } from './review-processor.js';
import type { StripeEvent } from './stripe-processor.js';

/**
 * An in-memory `EventPublisher`: `calls` holds each `publish` call's events, `signals` each
 * call's abort signal (undefined when none was passed), `published` every accepted event.
 * A call whose signal has aborted rejects with its reason, as the EventBridge adapter does. `reject(events, call)` may name events the bus does not accept (by index in
 * that call, with an error code); they are left out of `published` and the call rejects with
 * `EventPublishError`, as the EventBridge adapter does after its retries.
 */
export function recordingPublisher(
  reject: (events: readonly DomainEvent[], call: number) => ReadonlyMap<number, string> | undefined = () =>
    undefined,
) {
  const calls: DomainEvent[][] = [];
  const signals: (AbortSignal | undefined)[] = [];
  const published: DomainEvent[] = [];
  const publisher: EventPublisher = {
    async publish(events, options) {
      const call = calls.push([...events]);
      signals.push(options?.signal);
      const refused = reject(events, call) ?? new Map<number, string>();
      const failed = events.flatMap((event, index) => {
        const errorCode = refused.get(index);
        if (errorCode === undefined) published.push(event);
        return errorCode === undefined ? [] : [{ event, errorCode }];
      });
      options?.signal?.throwIfAborted();
      if (failed.length > 0) {
        throw new EventPublishError(`${failed.length} of ${events.length} events were not accepted`, failed);
      }
    },
  };
  return { publisher, calls, signals, published };
}

export function webhookContext(overrides: Partial<WebhookContext> = {}): WebhookContext {
  return {
    source: 'stripe',
    eventId: 'evt_1',
    requestId: 'req-1',
    signal: new AbortController().signal,
    ...overrides,
  };
}

export function checkoutSession(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'cs_test_a1',
    object: 'checkout.session',
    mode: 'payment',
    amount_total: 1980,
    currency: 'jpy',
    payment_status: 'paid',
    client_reference_id: 'order-42',
    metadata: { order_id: 'meta-order-42' },
    customer_details: { email: 'reader@example.jp' },
    ...overrides,
  };
}

export function stripeEvent(overrides: Partial<StripeEvent> = {}, session = checkoutSession()): StripeEvent {
  return {
    id: 'evt_1NGqqC2eZvKYlo2C',
    type: 'checkout.session.completed',
    created: 1_767_225_600,
    data: { object: session },
    ...overrides,
  };
}

export function reviewPayload(overrides: Partial<ReviewPayload> = {}): ReviewPayload {
  return {
    review_id: 'rev-1',
    product_id: 'manga-0001',
    rating: 5,
    review_text: '作画が素晴らしく、最後まで一気に読みました。',
    ...overrides,
  };
}

const updateTypes = ['new_release', 'price_change', 'restock', 'discontinued', 'metadata_change'] as const;

/** A catalog batch of `count` distinct products, update types in rotation. */
export function catalogBatch(count: number, batchId = 'batch-2026-01'): CatalogBatch {
  return {
    batch_id: batchId,
    publisher: 'Shueisha',
    items: Array.from({ length: count }, (_, index) => ({
      product_id: `manga-${String(index).padStart(5, '0')}`,
      title: `ワンピース ${index + 1}巻`,
      update_type: updateTypes[index % updateTypes.length] ?? 'restock',
      data: { volume: index + 1, price_jpy: 528 },
    })),
  };
}
