import { describe, expect, it } from 'vitest';
import { MemoryProductCatalog } from './product-catalog.js';

const request = { title: 'ONE PIECE 108', requestedAt: '2026-02-01T09:00:00.000Z' };

describe('MemoryProductCatalog', () => {
  it('lists at most limit products in the order they were put', async () => {
    const catalog = new MemoryProductCatalog([{ productId: 'a' }, { productId: 'b' }, { productId: 'c' }]);

    expect((await catalog.list(2)).map((product) => product.productId)).toEqual(['a', 'b']);
  });

  it('lists products known only from an embedding request, with that title', async () => {
    const catalog = new MemoryProductCatalog();
    await catalog.markEmbeddingStale('onepiece-108', request);

    expect(await catalog.list(10)).toEqual([{ productId: 'onepiece-108', title: 'ONE PIECE 108' }]);
  });

  it('marks an embedding stale once per title', async () => {
    const catalog = new MemoryProductCatalog();

    expect(await catalog.markEmbeddingStale('onepiece-108', request)).toBe('marked');
    expect(
      await catalog.markEmbeddingStale('onepiece-108', {
        ...request,
        requestedAt: '2026-02-02T00:00:00.000Z',
      }),
    ).toBe('already-stale');
    expect(
      await catalog.markEmbeddingStale('onepiece-108', { ...request, title: 'ONE PIECE 108 特装版' }),
    ).toBe('marked');
    expect(catalog.embedding('onepiece-108')).toEqual({
      ...request,
      title: 'ONE PIECE 108 特装版',
      status: 'stale',
    });
  });

  it('pages through every product once, by product id', async () => {
    const catalog = new MemoryProductCatalog(
      ['p5', 'p1', 'p4', 'p2', 'p3'].map((productId) => ({ productId, title: productId })),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await catalog.page(cursor, 2);
      seen.push(...page.products.map((product) => product.productId));
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined);
    expect(seen).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(pages).toBe(3);
    expect(await catalog.page(undefined, 5)).toEqual({ products: expect.any(Array) });
    await expect(catalog.page('no-such-cursor', 2)).rejects.toThrow(RangeError);
    await expect(catalog.page(undefined, 0)).rejects.toThrow(RangeError);
  });

  it('rejects a limit outside 1 to 1000, an empty product id and a time not in toISOString form', async () => {
    const catalog = new MemoryProductCatalog();

    await expect(catalog.list(0)).rejects.toThrow(RangeError);
    await expect(catalog.list(1_001)).rejects.toThrow(RangeError);
    await expect(catalog.markEmbeddingStale('', request)).rejects.toThrow(RangeError);
    await expect(catalog.markEmbeddingStale('p', { ...request, requestedAt: '2026-02-01' })).rejects.toThrow(
      RangeError,
    );
  });
});
