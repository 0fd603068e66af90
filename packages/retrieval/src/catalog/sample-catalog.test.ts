import { describe, expect, it } from 'vitest';
import { isValidIsbn13 } from './isbn.js';
import { sampleCatalog } from './sample-catalog.js';
import { sampleSeries } from './sample-series.js';

describe('the sample catalog', () => {
  const catalog = sampleCatalog();

  it('has a product per volume, at least 500, each id and ISBN once', () => {
    expect(catalog.length).toBe(sampleSeries.reduce((sum, entry) => sum + entry.volumes, 0));
    expect(catalog.length).toBeGreaterThanOrEqual(500);
    expect(new Set(catalog.map((product) => product.productId)).size).toBe(catalog.length);
    expect(new Set(catalog.map((product) => product.isbn)).size).toBe(catalog.length);
  });

  it('gives every product a valid ISBN-13 under its publisher’s prefix', () => {
    for (const product of catalog) expect(isValidIsbn13(product.isbn), product.productId).toBe(true);
    expect(catalog.find((product) => product.productId === 'one-piece-001')?.isbn).toMatch(/^978408/);
    expect(catalog.find((product) => product.productId === 'hagaren-001')?.isbn).toMatch(/^97847575/);
  });

  it('titles each volume in Japanese and English, prices it in yen and marks the newest', () => {
    const onePiece = catalog.filter((product) => product.series === 'ONE PIECE');
    expect(onePiece[0]).toMatchObject({ title: 'ONE PIECE 1', titleEn: 'One Piece, Vol. 1', priceJpy: 484 });
    expect(onePiece.at(-1)).toMatchObject({ volume: 110, latest: true, priceJpy: 484 + 33 });
    expect(onePiece.filter((product) => product.latest)).toHaveLength(1);
  });

  it('sells out about one product in ten, the same ones every run', () => {
    const soldOut = catalog.filter((product) => product.stock === 0).length / catalog.length;
    expect(soldOut).toBeGreaterThan(0.05);
    expect(soldOut).toBeLessThan(0.15);
    expect(sampleCatalog().map((product) => product.stock)).toEqual(catalog.map((product) => product.stock));
  });

  it('refuses a publisher whose series would run out of ISBNs', () => {
    const [first] = sampleSeries;
    if (!first) throw new Error('no series');
    // Square Enix's prefix leaves four digits: 49 series of 200 volumes fit, the 50th does not.
    const series = Array.from({ length: 50 }, (_, n) => ({
      ...first,
      slug: `s${n}`,
      publisher: 'squareEnix' as const,
      volumes: 200,
    }));
    expect(() => sampleCatalog(series.slice(0, 49))).not.toThrow();
    expect(() => sampleCatalog(series)).toThrow('s49-200: no ISBN left under Square Enix');
  });

  it('refuses a series of more volumes than its ISBN block holds, before it collides with the next', () => {
    const [first] = sampleSeries;
    if (!first) throw new Error('no series');
    expect(() => sampleCatalog([{ ...first, volumes: 201 }])).toThrow('201 volumes, more than the 200');
  });
});
