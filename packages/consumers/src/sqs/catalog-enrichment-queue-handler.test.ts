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

const titleOf = (prompt: string) => /^Title: (.*)$/m.exec(prompt)?.[1] ?? '';

describe('makeCatalogEnrichmentQueueHandler', () => {
  it('enriches the product of each record, dated by when the record was queued', async () => {
    const { handler, products } = harness();
    const message = catalogEnrichmentMessageOf({
      batch_id: 'batch-1',
      item_index: 2,
      title: 'ONE PIECE 108',
    });
    const sentAt = Date.UTC(2026, 1, 3, 4, 5, 6, 789);

    expect(await handler(event(catalogEnrichmentRecord(message, { sentAt })))).toEqual({
      batchItemFailures: [],
    });
    expect(await products.get(message.product_id)).toMatchObject({
      ai: {
        description: 'ONE PIECE 108: a thrilling volume.',
        updatedAt: '2026-02-03T04:05:06.789Z',
        sourceEventId: 'batch-1/2',
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
      ai: { description: 'v2: a thrilling volume.', sourceEventId: 'batch-2026-01/1' },
      discontinued: { sourceEventId: 'batch-2026-01/2' },
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
        fields: expect.objectContaining({ messageId: 'm2', updateId: 'batch-2026-01/1' }),
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
      if (id.endsWith('/1')) throw new Error('table unavailable');
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
    expect(order).toEqual(['consumed batch-2026-01/0', 'consumed batch-2026-01/1', 'flushed']);
  });
});
