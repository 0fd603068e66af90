import { describe, expect, it } from 'vitest';
import type { CatalogProduct } from '../catalog/catalog-product.js';
import { sampleCatalog } from '../catalog/sample-catalog.js';
import type { Embedder, EmbeddingPurpose } from '../embedding/embedder.js';
import { HashingEmbedder } from '../embedding/hashing-embedding.js';
import { CatalogSearch } from './catalog-search.js';

const catalog = sampleCatalog();
const ids = (hits: { product: CatalogProduct }[]) => hits.map((hit) => hit.product.productId);

/** The hashing embedder, recording each call's size and purpose. */
class RecordingEmbedder extends HashingEmbedder {
  readonly calls: { size: number; purpose: EmbeddingPurpose }[] = [];
  override async embed(texts: readonly string[], purpose: EmbeddingPurpose): Promise<Float32Array[]> {
    this.calls.push({ size: texts.length, purpose });
    return super.embed(texts, purpose);
  }
}

describe('CatalogSearch', () => {
  it('embeds the catalog as documents, at most 96 texts a request', async () => {
    const embedder = new RecordingEmbedder(64);
    await CatalogSearch.build(catalog.slice(0, 200), embedder);
    expect(embedder.calls).toEqual([
      { size: 96, purpose: 'document' },
      { size: 96, purpose: 'document' },
      { size: 8, purpose: 'document' },
    ]);
  });

  it('answers a volume asked for with that volume of the series found', async () => {
    const search = await CatalogSearch.build(catalog, new HashingEmbedder());
    expect(ids(await search.search('呪術廻戦 3巻'))[0]).toBe('jujutsu-kaisen-003');
    expect(ids(await search.search('One Piece vol. 105'))[0]).toBe('one-piece-105');
    expect(ids(await search.search('ワンピースの最新刊はいくら？'))[0]).toBe('one-piece-110');
  });

  it('keeps to the filter, also for the volume asked for', async () => {
    const search = await CatalogSearch.build(catalog, new HashingEmbedder());
    const soldOut = catalog.find((product) => product.stock === 0 && product.volume > 1) as CatalogProduct;
    const question = `${soldOut.series} ${soldOut.volume}巻`;
    expect(ids(await search.search(question))[0]).toBe(soldOut.productId);
    const inStock = await search.search(question, { filter: { inStock: true }, topK: 10 });
    expect(ids(inStock)).not.toContain(soldOut.productId);
    expect(inStock.every((hit) => hit.product.stock > 0)).toBe(true);
    const forKids = await search.search('ベルセルク', { filter: { maxAgeRating: '12+' }, topK: 10 });
    expect(forKids.every((hit) => hit.product.ageRating !== '18+')).toBe(true);
  });

  it('ranks by keywords alone without asking for an embedding, and by vectors alone without keywords', async () => {
    const products = catalog.filter((product) => ['naruto', 'bleach'].includes(product.seriesId));
    // An embedder that sends every question towards BLEACH 1, whatever it says.
    const bleach = products.find((product) => product.productId === 'bleach-001') as CatalogProduct;
    const towardsBleach: Embedder = {
      dimensions: 64,
      async embed(texts, purpose) {
        const hashing = new HashingEmbedder(64);
        if (purpose === 'query')
          return hashing.embed(
            texts.map(() => `${bleach.title} ${bleach.titleEn}`),
            'query',
          );
        return hashing.embed(texts, purpose);
      },
    };
    const search = await CatalogSearch.build(products, towardsBleach);
    expect(ids(await search.search('NARUTO', { mode: 'keyword' }))[0]).toMatch(/^naruto-/);
    expect(ids(await search.search('NARUTO', { mode: 'vector' }))[0]).toBe('bleach-001');
    const hybrid = ids(await search.search('NARUTO', { topK: 3 }));
    expect(hybrid).toContain('bleach-001');
    expect(hybrid.some((id) => id.startsWith('naruto-'))).toBe(true);
  });

  it('gives at most topK products', async () => {
    const search = await CatalogSearch.build(catalog.slice(0, 300), new HashingEmbedder(64));
    expect(await search.search('ONE PIECE', { topK: 3 })).toHaveLength(3);
    expect(await search.search('ONE PIECE')).toHaveLength(5);
  });

  it('lists each product once, also when several found volumes lead to the one asked for', async () => {
    const search = await CatalogSearch.build(catalog, new HashingEmbedder());
    for (const question of ['ワンピース 100巻', 'ONE PIECE 最新刊', 'Frieren vol. 3']) {
      const found = ids(await search.search(question, { topK: 20 }));
      expect(new Set(found).size, question).toBe(found.length);
    }
  });

  it('finds nothing for a question with nothing to compare, or for topK 0 or less', async () => {
    const search = await CatalogSearch.build(catalog.slice(0, 300), new HashingEmbedder(64));
    for (const question of ['', '😀😀', '！？。、'])
      expect(await search.search(question), question).toEqual([]);
    expect(await search.search('ONE PIECE', { topK: 0 })).toEqual([]);
    expect(await search.search('ONE PIECE', { topK: -3 })).toEqual([]);
    expect(await search.search('ONE PIECE', { topK: 2.7 })).toHaveLength(2);
  });
});
