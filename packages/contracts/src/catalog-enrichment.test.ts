import { describe, expect, it } from 'vitest';
import {
  catalogEnrichmentMessage,
  catalogEnrichmentMessageSchema,
  catalogEnrichmentQueueName,
  catalogUpdateId,
} from './catalog-enrichment.js';
import { catalogItemSchema } from './webhooks.js';

const firstSeenAt = '2026-01-31T09:00:00.123Z';

const item = (overrides: Record<string, unknown> = {}) =>
  catalogItemSchema.parse({
    product_id: 'manga-00042',
    title: 'ワンピース 108巻',
    update_type: 'new_release',
    data: { volume: 108, author: '尾田栄一郎' },
    ...overrides,
  });

describe('catalogEnrichmentMessage', () => {
  it('gives the same JSON for the same item of the same batch, whatever order the item’s keys came in', () => {
    const reordered = catalogItemSchema.parse({
      data: { author: '尾田栄一郎', volume: 108 },
      update_type: 'new_release',
      title: 'ワンピース 108巻',
      product_id: 'manga-00042',
    });
    const first = JSON.stringify(catalogEnrichmentMessage('batch-1', 3, item(), firstSeenAt));
    expect(JSON.stringify(catalogEnrichmentMessage('batch-1', 3, reordered, firstSeenAt))).toBe(
      first.replace('{"volume":108,"author":"尾田栄一郎"}', '{"author":"尾田栄一郎","volume":108}'),
    );
    expect(Object.keys(JSON.parse(first))).toEqual([
      'batch_id',
      'item_index',
      'first_seen_at',
      'product_id',
      'title',
      'update_type',
      'data',
    ]);
  });

  it('carries when its batch was first seen, the same for every item of the batch', () => {
    expect(catalogEnrichmentMessage('batch-1', 0, item(), firstSeenAt).first_seen_at).toBe(firstSeenAt);
    expect(catalogEnrichmentMessage('batch-1', 7, item(), firstSeenAt).first_seen_at).toBe(firstSeenAt);
  });

  it('reads back through its schema, which refuses unknown fields', () => {
    const message = catalogEnrichmentMessage('batch-1', 0, item(), firstSeenAt);
    expect(catalogEnrichmentMessageSchema.parse(JSON.parse(JSON.stringify(message)))).toEqual(message);
    expect(catalogEnrichmentMessageSchema.safeParse({ ...message, received_at: 1 }).success).toBe(false);
    expect(catalogEnrichmentMessageSchema.safeParse({ ...message, item_index: -1 }).success).toBe(false);
  });

  it('reads a message queued before first_seen_at existed, and refuses a first-seen time in another form', () => {
    const { first_seen_at: _, ...queuedBefore } = catalogEnrichmentMessage('batch-1', 0, item(), firstSeenAt);
    expect(catalogEnrichmentMessageSchema.parse(queuedBefore)).toEqual(queuedBefore);
    for (const time of ['2026-01-31T09:00:00Z', '2026-01-31T09:00:00.000+09:00', 1_769_850_000_000]) {
      expect(
        catalogEnrichmentMessageSchema.safeParse({ ...queuedBefore, first_seen_at: time }).success,
        String(time),
      ).toBe(false);
    }
  });
});

describe('catalogUpdateId', () => {
  it('names each item of each batch apart, even when a batch id ends like an index', () => {
    const ids = [
      catalogUpdateId({ batch_id: 'a', item_index: 12 }),
      catalogUpdateId({ batch_id: 'a', item_index: 1 }),
      catalogUpdateId({ batch_id: 'a/1', item_index: 2 }),
      catalogUpdateId({ batch_id: 'a/12', item_index: 0 }),
    ];
    expect(ids).toEqual(['a/12', 'a/1', 'a/1/2', 'a/12/0']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('names an item of a batch accepted again (a new first-seen time) apart from the first acceptance’s', () => {
    const first = catalogUpdateId({ batch_id: 'a', item_index: 3, first_seen_at: firstSeenAt });
    const again = catalogUpdateId({
      batch_id: 'a',
      item_index: 3,
      first_seen_at: '2026-02-08T00:00:00.000Z',
    });
    expect(first).toBe(`a/3@${firstSeenAt}`);
    expect(catalogUpdateId({ batch_id: 'a', item_index: 3, first_seen_at: firstSeenAt })).toBe(first);
    expect(new Set([first, again, catalogUpdateId({ batch_id: 'a', item_index: 3 })]).size).toBe(3);
  });
});

describe('catalogEnrichmentQueueName', () => {
  it('names a FIFO queue per stage', () => {
    expect(catalogEnrichmentQueueName('prod')).toBe('mangaassist-prod-catalog-enrichment.fifo');
  });
});
