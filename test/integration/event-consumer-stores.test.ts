// The event consumers' DynamoDB stores through the real SDK clients against the embedded DynamoDB
// (dynalite), with the tables created from the same specs the CDK stack deploys: the shared
// behaviour suites, what the adapters must leave alone, and the FM trigger's exactly-once email on
// the real consumed-events table.
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { consumerLimits, makeFmTriggerConsumer, makeModerationHandlerConsumer } from '@mangaassist/consumers';
import { DynamoDbProductStore, DynamoDbReviewStore } from '@mangaassist/consumers/dynamodb';
import {
  describeProductStore,
  describeReviewStore,
  moderationFlaggedEvent,
  paymentCompletedEvent,
  productAiContent,
  recordingEmails,
  scriptedModel,
} from '@mangaassist/consumers/testing';
import {
  consumedEventsTable,
  productsTable,
  recommendationsTable,
  reviewsTable,
} from '@mangaassist/contracts';
import { DynamoDbIdempotencyStore } from '@mangaassist/idempotency/dynamodb';
import { DynamoDbRecommendationStore } from '@mangaassist/recommendations/dynamodb';
import { describeRecommendationStore } from '@mangaassist/recommendations/testing';
import { describe, expect, it } from 'vitest';
import { testTableName, useEmbeddedDynamoDb } from './embedded-dynamodb.js';

const tables = {
  products: testTableName(productsTable),
  reviews: testTableName(reviewsTable),
  consumedEvents: testTableName(consumedEventsTable),
  recommendations: testTableName(recommendationsTable),
};

const documents = useEmbeddedDynamoDb([
  productsTable,
  reviewsTable,
  consumedEventsTable,
  recommendationsTable,
]);

const productStore = () => new DynamoDbProductStore(documents(), { tableName: tables.products });
const reviewStore = () => new DynamoDbReviewStore(documents(), { tableName: tables.reviews });
const consumedEvents = () =>
  new DynamoDbIdempotencyStore(documents(), {
    tableName: tables.consumedEvents,
    ttlSeconds: consumerLimits.dedupeTtlSeconds,
  });

describeProductStore('DynamoDbProductStore', productStore);
describeReviewStore('DynamoDbReviewStore', reviewStore);
describeRecommendationStore(
  'DynamoDbRecommendationStore',
  async () => new DynamoDbRecommendationStore(documents(), { tableName: tables.recommendations }),
);

describe('DynamoDbRecommendationStore on the recommendations table', () => {
  it('replaces an item written by hand without generated_at, rather than calling every run stale', async () => {
    const segment = `hand-${randomUUID().slice(0, 8)}`;
    await documents().send(
      new PutCommand({ TableName: tables.recommendations, Item: { segment, note: 'written by hand' } }),
    );
    const store = new DynamoDbRecommendationStore(documents(), { tableName: tables.recommendations });
    const list = {
      segment,
      product_ids: ['manga-1'],
      model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
      generated_at: '2026-12-07T06:00:00.000Z',
    };

    await expect(store.put(list)).resolves.toBe('stored');
    await expect(store.get(segment)).resolves.toEqual(list);
  });
});

describe('DynamoDbProductStore on the products table', () => {
  it('leaves the catalog’s own attributes of a product alone', async () => {
    const productId = `product-${randomUUID()}`;
    await documents().send(
      new PutCommand({
        TableName: tables.products,
        Item: { product_id: productId, title: 'ONE PIECE 108', price_jpy: 594 },
      }),
    );
    await productStore().putAiContent(productId, productAiContent());

    const { Item: item } = await documents().send(
      new GetCommand({ TableName: tables.products, Key: { product_id: productId } }),
    );
    expect(item).toMatchObject({
      product_id: productId,
      title: 'ONE PIECE 108',
      price_jpy: 594,
      ai_tags: ['shonen', 'adventure', 'pirates', 'friendship', 'new-release'],
      ai_updated_at: '2026-01-31T09:00:00.000Z',
    });
  });

  it('lets only the newest of concurrent updates stand', async () => {
    const productId = `product-${randomUUID()}`;
    const store = productStore();
    const days = ['2026-01-03', '2026-01-01', '2026-01-05', '2026-01-02', '2026-01-04'];
    await Promise.all(
      days.map((day) =>
        store.putAiContent(
          productId,
          productAiContent({ description: day, updatedAt: `${day}T00:00:00.000Z` }),
        ),
      ),
    );
    expect((await store.get(productId))?.ai?.description).toBe('2026-01-05');
  });
});

describe('event consumers on the real tables', () => {
  it('sends one confirmation email per order for three deliveries, a replayed copy and a second event', async () => {
    const orderId = `order-${randomUUID()}`;
    const { emails, sent } = recordingEmails();
    const { model } = scriptedModel(() => 'ご注文ありがとうございます！');
    const consumer = makeFmTriggerConsumer({
      dedupe: consumedEvents(),
      events: { publish: async () => {} },
      model,
      emails,
      reviews: reviewStore(),
    });
    const event = paymentCompletedEvent({ order_id: orderId });

    await Promise.all(
      [consumer(event), consumer(event), consumer(event)].map((delivery) => delivery.catch(() => 'retry')),
    );
    await consumer(event);
    await consumer({ ...event, 'replay-name': 'recover-2026-01-31' });
    await consumer(paymentCompletedEvent({ order_id: orderId, stripe_event_id: 'evt_async' }));

    expect(sent).toHaveLength(1);
    const { Item: record } = await documents().send(
      new GetCommand({
        TableName: tables.consumedEvents,
        Key: { idempotency_key: `confirmation:${orderId}` },
      }),
    );
    expect(record).toMatchObject({ status: 'COMPLETED', summary: { status: 'sent', order_id: orderId } });
  });

  it('hides a review flagged high once, keeping its first reason', async () => {
    const reviewId = `review-${randomUUID()}`;
    const reviews = reviewStore();
    const consumer = makeModerationHandlerConsumer({ dedupe: consumedEvents(), reviews });
    const first = moderationFlaggedEvent({ review_id: reviewId });

    expect(await consumer(first)).toMatchObject({ status: 'processed' });
    expect(await consumer(first)).toMatchObject({ status: 'duplicate' });
    expect(
      await consumer(moderationFlaggedEvent({ review_id: reviewId, severity: 'critical' })),
    ).toMatchObject({
      status: 'skipped',
      reason: 'already-hidden',
    });

    const { Item: item } = await documents().send(
      new GetCommand({ TableName: tables.reviews, Key: { review_id: reviewId } }),
    );
    expect(item).toMatchObject({
      review_id: reviewId,
      hidden: true,
      hidden_reason: expect.stringContaining('moderation (high)'),
      severity: 'high',
      categories: ['harassment', 'threat'],
      source_event_id: first.id,
    });
  });
});
