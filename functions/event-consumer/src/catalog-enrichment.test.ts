// The deployed catalog enrichment function's code with in-memory ports: SQS records in, products out.
import { ConfigurationError } from '@mangaassist/commons';
import { MemoryProductStore } from '@mangaassist/consumers';
import {
  catalogEnrichmentMessageOf,
  catalogEnrichmentRecord,
  scriptedModel,
} from '@mangaassist/consumers/testing';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import { makeCatalogEnrichmentHandler } from './catalog-enrichment.js';

describe('makeCatalogEnrichmentHandler', () => {
  it('enriches each queued catalog item once and flushes the gateway’s events after the batch', async () => {
    const { model, calls } = scriptedModel(() => 'A fine volume.\nTags: a, b, c, d, e');
    const products = new MemoryProductStore();
    let flushes = 0;
    const handler = makeCatalogEnrichmentHandler({
      dedupe: new MemoryIdempotencyStore(),
      model,
      products,
      afterEach: async () => {
        flushes += 1;
      },
    });
    const record = catalogEnrichmentRecord(catalogEnrichmentMessageOf({ product_id: 'manga-7' }));

    expect(await handler({ Records: [record] })).toEqual({ batchItemFailures: [] });
    expect(await handler({ Records: [{ ...record, messageId: 'redelivered' }] })).toEqual({
      batchItemFailures: [],
    });
    expect(calls).toHaveLength(1);
    expect((await products.get('manga-7'))?.ai?.description).toBe('A fine volume.');
    expect(flushes).toBe(2);
  });

  it('refuses to start without the products table or the model', () => {
    const { model } = scriptedModel(() => 'unused');
    expect(() => makeCatalogEnrichmentHandler({ dedupe: new MemoryIdempotencyStore(), model })).toThrow(
      new ConfigurationError('catalog-enrichment needs the products dependency'),
    );
    expect(() =>
      makeCatalogEnrichmentHandler({
        dedupe: new MemoryIdempotencyStore(),
        products: new MemoryProductStore(),
      }),
    ).toThrow(ConfigurationError);
  });
});
