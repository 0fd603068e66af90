import { createFakeClock } from '@mangaassist/commons/testing';
import { AllModelsFailedError } from '@mangaassist/fm-gateway';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import { makeCatalogEnrichmentConsumer, parseDescriptionAndTags } from './catalog-enrichment.js';
import { TransientConsumerError } from './event-consumer.js';
import { MemoryProductStore } from './memory-product-store.js';
import { catalogUpdateEvent, type ScriptedAnswer, scriptedModel } from './testing/consumer-fixtures.js';

describe('parseDescriptionAndTags', () => {
  it('reads the description and the tags of the seed’s format', () => {
    expect(
      parseDescriptionAndTags('A fine volume. Read it.\nTags: shonen, pirates, action, comedy, drama'),
    ).toStrictEqual({
      ok: true,
      description: 'A fine volume. Read it.',
      tags: ['shonen', 'pirates', 'action', 'comedy', 'drama'],
    });
  });

  it('drops a Description label, markdown and blank lines, and joins the lines', () => {
    const answer =
      '**Description:** A fine volume.\n\nRead it now.\n\n**Tags:** "shonen", #pirates, [action], comedy, drama.';
    expect(parseDescriptionAndTags(answer)).toStrictEqual({
      ok: true,
      description: 'A fine volume. Read it now.',
      tags: ['shonen', 'pirates', 'action', 'comedy', 'drama'],
    });
  });

  it('splits Japanese commas and keeps Japanese tags', () => {
    const result = parseDescriptionAndTags('熱い一冊。\nタグ無し\nTags：少年漫画、海賊、冒険、友情、新刊');
    expect(result).toMatchObject({ ok: true, tags: ['少年漫画', '海賊', '冒険', '友情', '新刊'] });
  });

  it('keeps the first five of more tags, dropping repeats first', () => {
    expect(parseDescriptionAndTags('Text.\nTags: a, A, b, , c, d, e, f')).toMatchObject({
      ok: true,
      tags: ['a', 'b', 'c', 'd', 'e'],
    });
  });

  it('rejects fewer than five distinct tags', () => {
    expect(parseDescriptionAndTags('Text.\nTags: a, b, a, c, d')).toStrictEqual({
      ok: false,
      problem: '4 usable tags, 5 needed',
    });
  });

  it('rejects an answer without a Tags line', () => {
    expect(
      parseDescriptionAndTags('A fine volume with pirates, action, comedy, drama and more.'),
    ).toMatchObject({
      ok: false,
      problem: 'no "Tags:" line',
    });
  });

  it('rejects an answer with tags but no description', () => {
    expect(parseDescriptionAndTags('Tags: a, b, c, d, e')).toMatchObject({
      ok: false,
      problem: 'no description',
    });
  });
});

const description =
  'Luffy and the crew land on a mysterious island of scientists. Secrets of the ancient world unfold.\n' +
  'Tags: shonen, adventure, pirates, friendship, new release';

/** The catalog enrichment consumer with in-memory ports; the model answers as `answer` says. */
function enrichment(answer: () => ScriptedAnswer = () => description) {
  const { model, calls } = scriptedModel(() => answer());
  const products = new MemoryProductStore();
  const consumer = makeCatalogEnrichmentConsumer({ dedupe: new MemoryIdempotencyStore(), model, products });
  return { consumer, calls, products };
}

const productId = 'product-onepiece-108';

/** A catalog update as the queue handler reads it from the queue: with its item's index (0 by default). */
const enrichmentEvent = (...[detail, envelope]: Parameters<typeof catalogUpdateEvent>) =>
  catalogUpdateEvent({ item_index: 0, ...detail }, envelope);

describe('makeCatalogEnrichmentConsumer', () => {
  it('writes the description and five tags to the product, dated by the catalog update', async () => {
    const { consumer, products, calls } = enrichment();
    const event = enrichmentEvent({}, { id: 'batch-2026-01/0', time: '2026-01-31T08:59:00Z' });

    expect(await consumer(event)).toMatchObject({
      consumer: 'catalog-enrichment',
      eventId: 'batch-2026-01/0',
      status: 'processed',
    });
    expect(await products.get(productId)).toStrictEqual({
      productId,
      ai: {
        description:
          'Luffy and the crew land on a mysterious island of scientists. Secrets of the ancient world unfold.',
        tags: ['shonen', 'adventure', 'pirates', 'friendship', 'new release'],
        model: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
        updatedAt: '2026-01-31T08:59:00.000Z',
        itemIndex: 0,
        sourceEventId: 'batch-2026-01/0',
      },
    });
    expect(calls[0]?.request).toMatchObject({
      model: 'fast',
      requestId: 'batch-2026-01/0:description',
      chain: { depth: 1, sourceEventId: 'batch-2026-01/0' },
    });
    expect(calls[0]?.request.messages[0]?.content).toContain('Title: ONE PIECE 108');
  });

  it('enriches an update once, however often it arrives', async () => {
    const { consumer, calls } = enrichment();
    const event = enrichmentEvent({}, { id: 'batch-2026-01/0' });
    await consumer(event);
    expect(await consumer(event)).toMatchObject({ status: 'duplicate' });
    expect(calls).toHaveLength(1);
  });

  it('keeps the first five of more tags than asked for', async () => {
    const { consumer, products } = enrichment(() => 'A great read.\nTags: a, b, c, d, e, f, g');
    await consumer(enrichmentEvent());
    expect((await products.get(productId))?.ai?.tags).toStrictEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('records an answer with fewer than five tags as a permanent failure and writes nothing', async () => {
    const { consumer, products } = enrichment(() => 'A great read.\nTags: manga, pirates');
    expect(await consumer(enrichmentEvent())).toMatchObject({
      status: 'rejected',
      reason: 'unparseable-description',
    });
    expect(await products.get(productId)).toBeUndefined();
  });

  it('records a discontinuation without asking the model, keeping the content', async () => {
    const { consumer, calls, products } = enrichment();
    await consumer(enrichmentEvent({}, { id: 'b/0', time: '2026-01-31T09:00:00Z' }));
    const discontinued = enrichmentEvent(
      { update_type: 'discontinued' },
      { id: 'b/1', time: '2026-01-31T09:00:01Z' },
    );

    expect(await consumer(discontinued)).toMatchObject({
      status: 'processed',
      summary: { product_id: productId, update_type: 'discontinued', discontinued: true },
    });
    expect(calls).toHaveLength(1);
    expect(await products.get(productId)).toMatchObject({
      ai: { sourceEventId: 'b/0' },
      discontinued: { at: '2026-01-31T09:00:01.000Z', sourceEventId: 'b/1' },
    });
  });

  it('enriches a product a later update put back in the catalog, lifting its discontinuation', async () => {
    const { consumer, products } = enrichment();
    await consumer(
      enrichmentEvent({ update_type: 'discontinued' }, { id: 'b/0', time: '2026-01-31T09:00:00Z' }),
    );
    expect(
      await consumer(
        enrichmentEvent(
          { update_type: 'restock', item_index: 1 },
          { id: 'b/1', time: '2026-01-31T09:00:00Z' },
        ),
      ),
    ).toMatchObject({ status: 'processed' });
    const product = await products.get(productId);
    expect(product?.ai?.sourceEventId).toBe('b/1');
    expect(product?.discontinued).toBeUndefined();
  });

  it('never lets an update older than a discontinuation enrich the product, nor asks the model for it', async () => {
    const { consumer, calls, products } = enrichment();
    await consumer(
      enrichmentEvent({ update_type: 'discontinued' }, { id: 'b/1', time: '2026-02-01T00:00:00Z' }),
    );
    const older = await consumer(
      enrichmentEvent({ update_type: 'price_change' }, { id: 'b/0', time: '2026-01-01T00:00:00Z' }),
    );

    expect(older).toMatchObject({ status: 'skipped', reason: 'newer-content-exists' });
    expect(calls).toHaveLength(0);
    expect(await products.get(productId)).toStrictEqual({
      productId,
      discontinued: { at: '2026-02-01T00:00:00.000Z', itemIndex: 0, sourceEventId: 'b/1' },
    });
  });

  it('never replaces the content of a newer update with an older one’s, nor discontinues under it', async () => {
    const { consumer, calls, products } = enrichment();
    await consumer(enrichmentEvent({}, { time: '2026-02-01T00:00:00Z' }));
    const older = await consumer(
      enrichmentEvent({ update_type: 'price_change' }, { time: '2026-01-01T00:00:00Z' }),
    );
    const olderDiscontinuation = await consumer(
      enrichmentEvent({ update_type: 'discontinued' }, { time: '2026-01-15T00:00:00Z' }),
    );

    expect(older).toMatchObject({ status: 'skipped', reason: 'newer-content-exists' });
    expect(olderDiscontinuation).toMatchObject({ status: 'skipped', reason: 'newer-content-exists' });
    expect(calls).toHaveLength(1);
    expect(await products.get(productId)).toMatchObject({ ai: { updatedAt: '2026-02-01T00:00:00.000Z' } });
    expect((await products.get(productId))?.discontinued).toBeUndefined();
  });

  it('records an update without its item index as a permanent failure: it did not come from the queue', async () => {
    const { consumer, calls } = enrichment();
    expect(await consumer(catalogUpdateEvent())).toMatchObject({
      status: 'rejected',
      reason: 'invalid-detail',
    });
    expect(calls).toHaveLength(0);
  });

  it('fails transiently when the model fails, and enriches on the retry', async () => {
    let attempts = 0;
    const { consumer, products } = enrichment(() =>
      ++attempts === 1 ? new AllModelsFailedError([], 'unavailable') : description,
    );
    const event = enrichmentEvent();
    await expect(consumer(event)).rejects.toBeInstanceOf(TransientConsumerError);
    expect(await products.get(productId)).toBeUndefined();
    expect(await consumer(event)).toMatchObject({ status: 'processed' });
  });

  it('fails transiently when the model has not answered within 5 seconds', async () => {
    const clock = createFakeClock();
    const consumer = makeCatalogEnrichmentConsumer({
      dedupe: new MemoryIdempotencyStore(),
      model: { complete: () => new Promise(() => {}) },
      products: new MemoryProductStore(),
      clock,
    });
    const delivery = expect(consumer(enrichmentEvent())).rejects.toBeInstanceOf(TransientConsumerError);
    await clock.advance(5_000);
    await delivery;
  });
});
