import { describe, expect, it } from 'vitest';
import { readCatalogEnrichmentMessage } from './catalog-enrichment-message.js';
import { busEventEnvelopeSchema } from './event-consumer.js';
import { catalogEnrichmentMessageOf } from './testing/consumer-fixtures.js';

const sentAt = Date.UTC(2026, 0, 31, 9, 0, 0, 123);
const firstSeenAt = '2026-01-30T22:15:00.456Z';

describe('readCatalogEnrichmentMessage', () => {
  it('reads a message as the CatalogUpdate event of its update, timed when its batch was first seen', () => {
    const message = catalogEnrichmentMessageOf({
      batch_id: 'batch-7',
      item_index: 41,
      first_seen_at: firstSeenAt,
      update_type: 'restock',
    });
    const read = readCatalogEnrichmentMessage(JSON.stringify(message), sentAt);

    expect(read).toStrictEqual({
      ok: true,
      event: {
        version: '0',
        id: `batch-7/41@${firstSeenAt}`,
        'detail-type': 'CatalogUpdate.restock',
        source: 'mangaassist.catalog',
        time: firstSeenAt,
        resources: [],
        detail: {
          batch_id: 'batch-7',
          item_index: 41,
          product_id: message.product_id,
          title: message.title,
          update_type: 'restock',
          data: message.data,
          processing_stage: 'raw',
        },
      },
    });
    expect(read.ok && busEventEnvelopeSchema.safeParse(read.event).success).toBe(true);
  });

  it('times a message redriven or sent again later by its batch, never by when it was sent', () => {
    const body = JSON.stringify(catalogEnrichmentMessageOf({ first_seen_at: firstSeenAt }));
    const redriven = readCatalogEnrichmentMessage(body, sentAt + 3 * 86_400_000);
    expect(redriven).toMatchObject({ ok: true, event: { time: firstSeenAt } });
  });

  it('reads a message queued before first_seen_at existed under its old id, timed when it was sent', () => {
    const { first_seen_at: _, ...queuedBefore } = catalogEnrichmentMessageOf({
      batch_id: 'batch-7',
      item_index: 41,
    });
    expect(readCatalogEnrichmentMessage(JSON.stringify(queuedBefore), sentAt)).toMatchObject({
      ok: true,
      event: { id: 'batch-7/41', time: '2026-01-31T09:00:00.123Z', detail: { item_index: 41 } },
    });
  });

  it('gives the same id to every copy of an item, another to every other item or acceptance of its batch', () => {
    const id = (body: Record<string, unknown>) => {
      const read = readCatalogEnrichmentMessage(JSON.stringify(catalogEnrichmentMessageOf(body)), sentAt);
      return read.ok ? read.event.id : undefined;
    };
    expect(id({ item_index: 3 })).toBe(id({ item_index: 3 }));
    expect(
      new Set([
        id({ item_index: 3 }),
        id({ item_index: 4 }),
        id({ batch_id: 'other', item_index: 3 }),
        id({ item_index: 3, first_seen_at: '2026-02-08T00:00:00.000Z' }),
      ]).size,
    ).toBe(4);
  });

  it('names why a body is not a catalog enrichment message', () => {
    expect(readCatalogEnrichmentMessage('{"batch_id":', sentAt)).toStrictEqual({
      ok: false,
      reason: 'the body is not JSON',
    });
    const { item_index: _, ...withoutIndex } = catalogEnrichmentMessageOf();
    expect(readCatalogEnrichmentMessage(JSON.stringify(withoutIndex), sentAt)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('item_index'),
    });
    const { first_seen_at: __, ...queuedBefore } = catalogEnrichmentMessageOf();
    expect(readCatalogEnrichmentMessage(JSON.stringify(queuedBefore), Number(undefined))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no time'),
    });
  });
});
