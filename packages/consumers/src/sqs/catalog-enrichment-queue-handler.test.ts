import { recordingLogger } from '@mangaassist/commons/testing';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeCatalogEnrichmentConsumer } from '../catalog-enrichment.js';
import type { BusEventEnvelope, ConsumerFunction } from '../event-consumer.js';
import { MemoryProductStore } from '../memory-product-store.js';
import {
  catalogEnrichmentMessageOf,
  catalogEnrichmentRecord,
  type ScriptedAnswer,
  scriptedModel,
} from '../testing/consumer-fixtures.js';
import { makeCatalogEnrichmentQueueHandler } from './catalog-enrichment-queue-handler.js';

const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const description = (title: string) => `${title}: a thrilling volume.\nTags: a, b, c, d, e`;

/** The handler over the real consumer with in-memory ports; the model answers `answer(prompt)`. */
function harness(answer: (prompt: string) => ScriptedAnswer = (prompt) => description(titleOf(prompt))) {
  const { model, calls } = scriptedModel((request) => answer(request.messages[0]?.content ?? ''));
  const products = new MemoryProductStore();
  const consume = makeCatalogEnrichmentConsumer({ dedupe: new MemoryIdempotencyStore(), model, products });
  const logger = recordingLogger();
  return { handler: makeCatalogEnrichmentQueueHandler(consume, { logger }), calls, products, logger };
}

/** When the fixtures' batch was first seen (`catalogEnrichmentMessageOf`'s default). */
const firstSeenAt = '2026-01-31T09:00:00.000Z';
const titleOf = (prompt: string) => /^Title: (.*)$/m.exec(prompt)?.[1] ?? '';

describe('makeCatalogEnrichmentQueueHandler', () => {
  it('enriches the product of each record, dated by when its batch was first seen', async () => {
    const { handler, products } = harness();
    const message = catalogEnrichmentMessageOf({
      batch_id: 'batch-1',
      item_index: 2,
      first_seen_at: '2026-02-03T04:05:06.789Z',
      title: 'ONE PIECE 108',
    });

    expect(await handler(event(catalogEnrichmentRecord(message, { sentAt: Date.UTC(2026, 1, 4) })))).toEqual({
      batchItemFailures: [],
    });
    expect(await products.get(message.product_id)).toMatchObject({
      ai: {
        description: 'ONE PIECE 108: a thrilling volume.',
        updatedAt: '2026-02-03T04:05:06.789Z',
        itemIndex: 2,
        sourceEventId: 'batch-1/2@2026-02-03T04:05:06.789Z',
      },
    });
  });

  it('dates a record queued before first_seen_at existed by when it was sent', async () => {
    const { handler, products } = harness();
    const { first_seen_at: _, ...queuedBefore } = catalogEnrichmentMessageOf({
      batch_id: 'batch-1',
      item_index: 2,
    });
    const sentAt = Date.UTC(2026, 1, 3, 4, 5, 6, 789);

    await handler(event(catalogEnrichmentRecord(queuedBefore, { sentAt })));
    expect(await products.get(queuedBefore.product_id)).toMatchObject({
      ai: { updatedAt: '2026-02-03T04:05:06.789Z', itemIndex: 2, sourceEventId: 'batch-1/2' },
    });
  });

  it('never lets an older batch’s update, redriven after a newer batch’s, replace its content or lift its discontinuation', async () => {
    const { handler, products, calls } = harness();
    const newerBatch = { batch_id: 'batch-new', first_seen_at: '2026-01-31T10:00:00.000Z' };
    const newer = catalogEnrichmentMessageOf({ ...newerBatch, item_index: 0, title: 'new' });
    const discontinued = catalogEnrichmentMessageOf({
      ...newerBatch,
      item_index: 1,
      update_type: 'discontinued',
    });
    const older = catalogEnrichmentMessageOf({
      batch_id: 'batch-old',
      first_seen_at: '2026-01-31T09:00:00.000Z',
      title: 'old',
      update_type: 'price_change',
    });
    const sentAt = Date.UTC(2026, 0, 31, 10);
    await handler(
      event(catalogEnrichmentRecord(newer, { sentAt }), catalogEnrichmentRecord(discontinued, { sentAt })),
    );

    // The older update comes back from the dead-letter queue a day later: SQS stamps it sent anew.
    const redriven = catalogEnrichmentRecord(older, { sentAt: Date.UTC(2026, 1, 1), receiveCount: 1 });
    expect(await handler(event(redriven))).toEqual({ batchItemFailures: [] });

    expect(calls.map((call) => titleOf(call.request.messages[0]?.content ?? ''))).toEqual(['new']);
    expect(await products.get(newer.product_id)).toMatchObject({
      ai: { description: 'new: a thrilling volume.', sourceEventId: 'batch-new/0@2026-01-31T10:00:00.000Z' },
      discontinued: { sourceEventId: 'batch-new/1@2026-01-31T10:00:00.000Z' },
    });
  });

  it('orders one batch’s updates of a product by their place in the batch, whenever each was sent', async () => {
    const { handler, products, calls } = harness();
    const first = catalogEnrichmentMessageOf({ item_index: 0, title: 'first' });
    const last = catalogEnrichmentMessageOf({ item_index: 2, title: 'last' });
    await handler(event(catalogEnrichmentRecord(last, { sentAt: Date.UTC(2026, 0, 31, 9) })));
    await handler(event(catalogEnrichmentRecord(first, { sentAt: Date.UTC(2026, 0, 31, 12) })));

    expect(calls).toHaveLength(1);
    expect((await products.get(last.product_id))?.ai?.description).toBe('last: a thrilling volume.');
  });

  it('enriches again an item of a batch the webhook accepted anew, but never a copy of one acceptance', async () => {
    const { handler, products, calls } = harness();
    const accepted = catalogEnrichmentMessageOf({ first_seen_at: '2026-01-31T09:00:00.000Z', title: 'v1' });
    // The webhook's 5-minute deduplication is long past: a copy of the same acceptance, sent again.
    const copy = catalogEnrichmentRecord(accepted, { messageId: 'm2', sentAt: Date.UTC(2026, 0, 31, 10) });
    // Eight days on, the webhook has forgotten the batch and accepts it again: a new first-seen time.
    const acceptedAgain = { ...accepted, first_seen_at: '2026-02-08T09:00:00.000Z', title: 'v2' };

    await handler(event(catalogEnrichmentRecord(accepted, { messageId: 'm1' })));
    expect(await handler(event(copy))).toEqual({ batchItemFailures: [] });
    expect(calls).toHaveLength(1);

    expect(await handler(event(catalogEnrichmentRecord(acceptedAgain, { messageId: 'm3' })))).toEqual({
      batchItemFailures: [],
    });
    expect(calls).toHaveLength(2);
    expect(await products.get(accepted.product_id)).toMatchObject({
      ai: {
        description: 'v2: a thrilling volume.',
        sourceEventId: 'batch-2026-01/0@2026-02-08T09:00:00.000Z',
      },
    });
  });

  it('applies one product’s updates in the order of the batch: the discontinuation comes last', async () => {
    const { handler, products, calls } = harness();
    const sentAt = Date.UTC(2026, 0, 31);
    const messages = [
      catalogEnrichmentMessageOf({ item_index: 0, title: 'v1', update_type: 'new_release' }),
      catalogEnrichmentMessageOf({ item_index: 1, title: 'v2', update_type: 'price_change' }),
      catalogEnrichmentMessageOf({ item_index: 2, title: 'v2', update_type: 'discontinued' }),
    ];
    await handler(event(...messages.map((message) => catalogEnrichmentRecord(message, { sentAt }))));

    expect(calls.map((call) => titleOf(call.request.messages[0]?.content ?? ''))).toEqual(['v1', 'v2']);
    expect(await products.get('product-onepiece-108')).toMatchObject({
      ai: { description: 'v2: a thrilling volume.', sourceEventId: `batch-2026-01/1@${firstSeenAt}` },
      discontinued: { sourceEventId: `batch-2026-01/2@${firstSeenAt}` },
    });
  });

  it('acknowledges a copy of an update already enriched, without a second model call', async () => {
    const { handler, calls } = harness();
    const message = catalogEnrichmentMessageOf();
    await handler(event(catalogEnrichmentRecord(message, { messageId: 'm1' })));
    expect(await handler(event(catalogEnrichmentRecord(message, { messageId: 'm2' })))).toEqual({
      batchItemFailures: [],
    });
    expect(calls).toHaveLength(1);
  });

  it('acknowledges a permanent failure: it is recorded, and retrying would fail alike', async () => {
    const { handler } = harness(() => 'No tags here.');
    expect(await handler(event(catalogEnrichmentRecord(catalogEnrichmentMessageOf())))).toEqual({
      batchItemFailures: [],
    });
  });

  it('reports a record the consumer failed on, and every record after it, handling none of those', async () => {
    let attempts = 0;
    const { handler, calls, logger } = harness((prompt) =>
      titleOf(prompt) === 'flaky' && ++attempts === 1 ? new Error('ThrottlingException') : description('ok'),
    );
    const records = [
      catalogEnrichmentRecord(catalogEnrichmentMessageOf({ item_index: 0, title: 'first' }), {
        messageId: 'm1',
      }),
      catalogEnrichmentRecord(catalogEnrichmentMessageOf({ item_index: 1, title: 'flaky' }), {
        messageId: 'm2',
      }),
      catalogEnrichmentRecord(catalogEnrichmentMessageOf({ item_index: 2, title: 'third' }), {
        messageId: 'm3',
      }),
    ];

    expect(await handler(event(...records))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }],
    });
    expect(calls.map((call) => titleOf(call.request.messages[0]?.content ?? ''))).toEqual(['first', 'flaky']);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ messageId: 'm2', updateId: `batch-2026-01/1@${firstSeenAt}` }),
      }),
    );

    // The queue delivers both again: the failed one is enriched now, and the one after it.
    expect(await handler(event(records[1] as SQSRecord, records[2] as SQSRecord))).toEqual({
      batchItemFailures: [],
    });
    expect(calls.map((call) => titleOf(call.request.messages[0]?.content ?? ''))).toEqual([
      'first',
      'flaky',
      'flaky',
      'third',
    ]);
  });

  it('reports an unreadable record and every record after it, for the dead-letter queue', async () => {
    const { handler, calls, logger } = harness();
    const result = await handler(
      event(
        catalogEnrichmentRecord('{"product_id":"p-1"}', { messageId: 'm1' }),
        catalogEnrichmentRecord(catalogEnrichmentMessageOf(), { messageId: 'm2' }),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
    expect(calls).toHaveLength(0);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'error', fields: expect.objectContaining({ messageId: 'm1' }) }),
    );
  });

  it('runs the after-messages work once per batch, after the messages, even when one failed', async () => {
    const order: string[] = [];
    const consume: ConsumerFunction = async (input) => {
      const { id } = input as BusEventEnvelope;
      order.push(`consumed ${id}`);
      if (id.startsWith('batch-2026-01/1@')) throw new Error('table unavailable');
      return { consumer: 'catalog-enrichment', eventId: id, status: 'processed' };
    };
    const handler = makeCatalogEnrichmentQueueHandler(consume, {
      afterMessages: async () => {
        order.push('flushed');
      },
    });
    await handler(
      event(
        catalogEnrichmentRecord(catalogEnrichmentMessageOf({ item_index: 0 })),
        catalogEnrichmentRecord(catalogEnrichmentMessageOf({ item_index: 1 })),
        catalogEnrichmentRecord(catalogEnrichmentMessageOf({ item_index: 2 })),
      ),
    );
    expect(order).toEqual([
      `consumed batch-2026-01/0@${firstSeenAt}`,
      `consumed batch-2026-01/1@${firstSeenAt}`,
      'flushed',
    ]);
  });
});
