import { describe, expect, it } from 'vitest';
import { sampleCatalog } from '../catalog/sample-catalog.js';
import { goldSet, notCarried } from './gold-set.js';

describe('the retrieval gold set', () => {
  const ids = new Set(sampleCatalog().map((product) => product.productId));

  it('asks at least 150 questions, in Japanese and in English, each about a product the catalog has', () => {
    expect(goldSet.length).toBeGreaterThanOrEqual(150);
    for (const { query, expected } of goldSet) expect(ids.has(expected), `${query} → ${expected}`).toBe(true);
    const japanese = goldSet.filter(({ query }) =>
      /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(query),
    );
    expect(japanese.length).toBeGreaterThanOrEqual(50);
    expect(goldSet.length - japanese.length).toBeGreaterThanOrEqual(50);
  });

  it('asks each question once, and keeps questions about books the store lacks apart', () => {
    expect(new Set(goldSet.map(({ query }) => query)).size).toBe(goldSet.length);
    expect(notCarried.length).toBeGreaterThanOrEqual(10);
  });
});
