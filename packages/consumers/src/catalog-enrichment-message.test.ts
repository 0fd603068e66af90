import { describe, expect, it } from 'vitest';
import { readCatalogEnrichmentMessage } from './catalog-enrichment-message.js';
import { busEventEnvelopeSchema } from './event-consumer.js';
import { catalogEnrichmentMessageOf } from './testing/consumer-fixtures.js';

const sentAt = Date.UTC(2026, 0, 31, 9, 0, 0, 123);

describe('readCatalogEnrichmentMessage', () => {
  it('reads a message as the CatalogUpdate event of its update, timed when it was queued', () => {
    const message = catalogEnrichmentMessageOf({
      batch_id: 'batch-7',
      item_index: 41,
      update_type: 'restock',
    });
    const read = readCatalogEnrichmentMessage(JSON.stringify(message), sentAt);

    expect(read).toStrictEqual({
      ok: true,
      event: {
        version: '0',
        id: 'batch-7/41',
        'detail-type': 'CatalogUpdate.restock',
        source: 'mangaassist.catalog',
        time: '2026-01-31T09:00:00.123Z',
        resources: [],
        detail: {
          batch_id: 'batch-7',
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

  it('gives the same id to every copy of an item, and another to every other item', () => {
    const id = (body: Record<string, unknown>) => {
      const read = readCatalogEnrichmentMessage(JSON.stringify(catalogEnrichmentMessageOf(body)), sentAt);
      return read.ok ? read.event.id : undefined;
    };
    expect(id({ item_index: 3 })).toBe(id({ item_index: 3 }));
    expect(
      new Set([id({ item_index: 3 }), id({ item_index: 4 }), id({ batch_id: 'other', item_index: 3 })]).size,
    ).toBe(3);
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
    expect(
      readCatalogEnrichmentMessage(JSON.stringify(catalogEnrichmentMessageOf()), Number(undefined)),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('no time') });
  });
});
