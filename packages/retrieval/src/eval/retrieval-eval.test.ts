import { describe, expect, it } from 'vitest';
import type { CatalogProduct } from '../catalog/catalog-product.js';
import type { SearchHit, SearchOptions } from '../search/catalog-search.js';
import { evaluateRetrieval, namedWithoutCarrying } from './retrieval-eval.js';

/** A search that answers each question with a fixed list of product ids, and records the mode. */
function fixedSearch(answers: Record<string, string[]>, named: ReadonlySet<string> = new Set()) {
  const modes: unknown[] = [];
  return {
    modes,
    async search(question: string, options?: SearchOptions): Promise<SearchHit[]> {
      modes.push(options?.mode);
      return (answers[question] ?? []).map((productId, index) => ({
        product: { productId } as CatalogProduct,
        score: 1 / (index + 1),
        named: named.has(productId),
      }));
    },
  };
}

describe('evaluateRetrieval', () => {
  it('scores recall@5 and MRR from where each expected product ranks', async () => {
    const ten = (expectedAt: number) =>
      Array.from({ length: 10 }, (_, index) => (index + 1 === expectedAt ? 'hit' : `other-${index}`));
    const search = fixedSearch({ first: ten(1), fifth: ten(5), sixth: ten(6), absent: ten(0) });
    const scores = await evaluateRetrieval(
      search,
      [
        { query: 'first', expected: 'hit', kind: 'volume' },
        { query: 'fifth', expected: 'hit', kind: 'volume' },
        { query: 'sixth', expected: 'hit', kind: 'latest' },
        { query: 'absent', expected: 'hit', kind: 'series' },
      ],
      'keyword',
    );
    expect(scores.results.map((result) => result.rank)).toEqual([1, 5, 6, undefined]);
    expect(scores.recallAt5).toBe(0.5);
    expect(scores.mrr).toBeCloseTo((1 + 1 / 5 + 1 / 6) / 4, 10);
    expect(scores.byKind).toEqual({
      volume: { questions: 2, recallAt5: 1 },
      latest: { questions: 1, recallAt5: 0 },
      series: { questions: 1, recallAt5: 0 },
    });
    expect(scores.results[0]?.top).toEqual(['hit', 'other-1', 'other-2']);
    expect(search.modes).toEqual(['keyword', 'keyword', 'keyword', 'keyword']);
  });
});

describe('namedWithoutCarrying', () => {
  it('lists the questions whose results name a product, with the products named', async () => {
    const search = fixedSearch({ 'Harry Potter': ['a', 'b'], Dune: ['c'] }, new Set(['b']));
    expect(await namedWithoutCarrying(search, ['Harry Potter', 'Dune'])).toEqual([
      { question: 'Harry Potter', named: ['b'] },
    ]);
  });
});
