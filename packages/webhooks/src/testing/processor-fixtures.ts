// Test data for the webhook processor tests.

import type { CatalogBatch } from '../processors/catalog-processor.js';
import type { ReviewPayload } from '../processors/review-processor.js';
import type { StripeEvent } from '../processors/stripe-processor.js';
import type { WebhookContext } from '../webhook-processor.js';

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
