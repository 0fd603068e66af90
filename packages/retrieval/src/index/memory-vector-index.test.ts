import { describe, expect, it } from 'vitest';
import { MemoryVectorIndex } from './memory-vector-index.js';
import type { VectorMetadata } from './vector-index.js';

const unit = (...values: number[]) => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values.map((value) => value / norm));
};
const inStock: VectorMetadata = { stock: 3, category: 'shonen', ageRating: 'all' };

describe('MemoryVectorIndex', () => {
  it('finds the nearest vectors by cosine, best first, at most topK', async () => {
    const index = new MemoryVectorIndex(2);
    await index.upsert([
      { id: 'east', vector: unit(1, 0), metadata: inStock },
      { id: 'north', vector: unit(0, 1), metadata: inStock },
      { id: 'north-east', vector: unit(1, 1), metadata: inStock },
      { id: 'west', vector: unit(-1, 0), metadata: inStock },
    ]);
    const hits = await index.query(unit(1, 0.2), { topK: 3 });
    expect(hits.map((hit) => hit.id)).toEqual(['east', 'north-east', 'north']);
    expect(hits[0]?.score).toBeCloseTo(1 / Math.hypot(1, 0.2), 5);
  });

  it('replaces a record of the same id, vector and metadata', async () => {
    const index = new MemoryVectorIndex(2);
    await index.upsert([{ id: 'a', vector: unit(1, 0), metadata: inStock }]);
    await index.upsert([{ id: 'a', vector: unit(0, 1), metadata: { ...inStock, stock: 0 } }]);
    expect(index.size).toBe(1);
    expect((await index.query(unit(0, 1), { topK: 1 }))[0]?.score).toBeCloseTo(1, 5);
    expect(await index.query(unit(0, 1), { topK: 1, filter: { inStock: true } })).toEqual([]);
  });

  it('deletes, keeping the others findable, and ignores ids it does not hold', async () => {
    const index = new MemoryVectorIndex(2);
    const records = Array.from({ length: 100 }, (_, n) => ({
      id: `p${n}`,
      vector: unit(Math.cos(n / 10), Math.sin(n / 10)),
      metadata: inStock,
    }));
    await index.upsert(records);
    await index.delete(['p0', 'p50', 'missing', 'p0']);
    expect(index.size).toBe(98);
    for (const { id, vector } of records) {
      const [hit] = await index.query(vector, { topK: 1 });
      if (id === 'p0' || id === 'p50') expect(hit?.id).not.toBe(id);
      else expect(hit?.id).toBe(id);
    }
  });

  it('filters by stock, category and age rating', async () => {
    const index = new MemoryVectorIndex(2);
    await index.upsert([
      { id: 'sold-out', vector: unit(1, 0), metadata: { ...inStock, stock: 0 } },
      { id: 'seinen', vector: unit(1, 0.1), metadata: { ...inStock, category: 'seinen', ageRating: '18+' } },
      { id: 'kids', vector: unit(1, 0.2), metadata: { ...inStock, category: 'kodomo' } },
    ]);
    const ids = async (filter: Parameters<MemoryVectorIndex['query']>[1]['filter']) =>
      (await index.query(unit(1, 0), { topK: 5, ...(filter ? { filter } : {}) })).map((hit) => hit.id);
    expect(await ids(undefined)).toEqual(['sold-out', 'seinen', 'kids']);
    expect(await ids({ inStock: true })).toEqual(['seinen', 'kids']);
    expect(await ids({ categories: ['kodomo', 'shonen'] })).toEqual(['sold-out', 'kids']);
    expect(await ids({ maxAgeRating: '15+' })).toEqual(['sold-out', 'kids']);
    expect(await ids({ maxAgeRating: '18+' })).toEqual(['sold-out', 'seinen', 'kids']);
  });

  it('refuses a vector of another size', async () => {
    const index = new MemoryVectorIndex(2);
    await expect(index.upsert([{ id: 'a', vector: unit(1, 0, 0), metadata: inStock }])).rejects.toThrow(
      'a: a vector of 3 dimensions in an index of 2',
    );
    await expect(index.query(unit(1, 0, 0), { topK: 1 })).rejects.toThrow('a query of 3 dimensions');
  });

  it('refuses vectors with values that are not finite numbers', async () => {
    const index = new MemoryVectorIndex(2);
    await expect(
      index.upsert([{ id: 'a', vector: Float32Array.from([Number.NaN, 0]), metadata: inStock }]),
    ).rejects.toThrow('a: a vector with a value that is not a finite number');
    await expect(index.query(Float32Array.from([Number.POSITIVE_INFINITY, 0]), { topK: 1 })).rejects.toThrow(
      'not a finite number',
    );
  });

  it('keeps a longer vector’s direction in its codes instead of wrapping them around', async () => {
    const index = new MemoryVectorIndex(2);
    await index.upsert(
      Array.from({ length: 40 }, (_, n) => ({
        id: `n${n}`,
        vector: Float32Array.from([0.6, 0.8]),
        metadata: inStock,
      })),
    );
    await index.upsert([{ id: 'long', vector: Float32Array.from([2, 0]), metadata: inStock }]);
    expect((await index.query(unit(1, 0), { topK: 1 }))[0]?.id).toBe('long');
  });
});
