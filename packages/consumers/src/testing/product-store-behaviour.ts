// The behaviour every ProductStore must show, written once and run against each implementation
// (in memory beside it, DynamoDB in test/integration). For tests only: it imports vitest.
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ProductAiContent, ProductStore } from '../product-store.js';

/** AI content for a product, as the catalog enrichment writes it. For tests. */
export function productAiContent(overrides: Partial<ProductAiContent> = {}): ProductAiContent {
  return {
    description: '魂を揺さぶる冒険譚、待望の最新刊。仲間との絆が試される。',
    tags: ['shonen', 'adventure', 'pirates', 'friendship', 'new-release'],
    model: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    updatedAt: '2026-01-31T09:00:00.000Z',
    sourceEventId: `evt-${randomUUID()}`,
    ...overrides,
  };
}

/**
 * Registers the ProductStore behaviour suite for one implementation. Each test uses a fresh
 * product id, so a store backed by a shared table needs no cleaning between tests.
 *
 * @example describeProductStore('MemoryProductStore', () => new MemoryProductStore());
 */
export function describeProductStore(
  name: string,
  makeStore: () => ProductStore | Promise<ProductStore>,
): void {
  describe(`${name} (ProductStore behaviour)`, () => {
    let store: ProductStore;
    let productId: string;

    beforeEach(async () => {
      store = await makeStore();
      productId = `product-${randomUUID()}`;
    });

    it('knows nothing of a product it never stored', async () => {
      expect(await store.get(productId)).toBeUndefined();
    });

    it('stores the AI content of a new product and reads it back', async () => {
      const content = productAiContent();
      expect(await store.putAiContent(productId, content)).toBe('updated');
      expect(await store.get(productId)).toStrictEqual({ productId, ai: content });
    });

    it('replaces the content with content for a later update', async () => {
      await store.putAiContent(productId, productAiContent());
      const later = productAiContent({ description: 'Later.', updatedAt: '2026-02-01T00:00:00.000Z' });
      expect(await store.putAiContent(productId, later)).toBe('updated');
      expect((await store.get(productId))?.ai).toStrictEqual(later);
    });

    it('never replaces content for a later update with content for an earlier one', async () => {
      const later = productAiContent({ updatedAt: '2026-02-01T00:00:00.000Z' });
      await store.putAiContent(productId, later);
      const earlier = productAiContent({ description: 'Earlier.', updatedAt: '2026-01-01T00:00:00.000Z' });
      expect(await store.putAiContent(productId, earlier)).toBe('stale');
      expect((await store.get(productId))?.ai).toStrictEqual(later);
    });

    it('lets the later-processed of two updates of the same instant win', async () => {
      await store.putAiContent(productId, productAiContent({ description: 'First.' }));
      const second = productAiContent({ description: 'Second.' });
      expect(await store.putAiContent(productId, second)).toBe('updated');
      expect((await store.get(productId))?.ai).toStrictEqual(second);
    });

    it('orders updates of the same time by their item index: a later item is never replaced by an earlier one', async () => {
      const at = '2026-01-31T09:00:00.000Z';
      const later = productAiContent({ description: 'Item 7.', updatedAt: at, itemIndex: 7 });
      await store.putAiContent(productId, later);
      const earlier = productAiContent({ description: 'Item 3.', updatedAt: at, itemIndex: 3 });
      expect(await store.putAiContent(productId, earlier)).toBe('stale');
      expect(await store.markDiscontinued(productId, { at, itemIndex: 5, sourceEventId: 'batch-9/5' })).toBe(
        'stale',
      );
      expect(await store.get(productId)).toStrictEqual({ productId, ai: later });

      const next = productAiContent({ description: 'Item 8.', updatedAt: at, itemIndex: 8 });
      expect(await store.putAiContent(productId, next)).toBe('updated');
      const discontinued = { at, itemIndex: 9, sourceEventId: 'batch-9/9' };
      expect(await store.markDiscontinued(productId, discontinued)).toBe('updated');
      expect(await store.putAiContent(productId, productAiContent({ updatedAt: at, itemIndex: 8 }))).toBe(
        'stale',
      );
      expect(await store.get(productId)).toStrictEqual({ productId, ai: next, discontinued });
    });

    it('orders by time before item index, and counts an update without an index first of its time', async () => {
      const indexed = productAiContent({ updatedAt: '2026-01-31T09:00:00.000Z', itemIndex: 9_999 });
      await store.putAiContent(productId, indexed);
      const laterWithout = productAiContent({ updatedAt: '2026-01-31T09:00:00.001Z' });
      expect(await store.putAiContent(productId, laterWithout)).toBe('updated');
      const sameTimeIndexed = productAiContent({ updatedAt: '2026-01-31T09:00:00.001Z', itemIndex: 0 });
      expect(await store.putAiContent(productId, sameTimeIndexed)).toBe('updated');
      expect(
        await store.putAiContent(productId, productAiContent({ updatedAt: '2026-01-31T09:00:00.001Z' })),
      ).toBe('stale');
      expect((await store.get(productId))?.ai).toStrictEqual(sameTimeIndexed);
    });

    it('rejects an update time that is not in toISOString form with RangeError', async () => {
      await expect(
        store.putAiContent(productId, productAiContent({ updatedAt: '2026-01-31T09:00:00Z' })),
      ).rejects.toBeInstanceOf(RangeError);
      expect(await store.get(productId)).toBeUndefined();
    });

    it('records a discontinuation beside the content, and lifts it with content for a later update', async () => {
      const content = productAiContent();
      await store.putAiContent(productId, content);
      const discontinued = { at: '2026-02-01T00:00:00.000Z', sourceEventId: 'batch-9/0' };
      expect(await store.markDiscontinued(productId, discontinued)).toBe('updated');
      expect(await store.get(productId)).toStrictEqual({ productId, ai: content, discontinued });

      const relisted = productAiContent({ description: 'Back.', updatedAt: '2026-03-01T00:00:00.000Z' });
      expect(await store.putAiContent(productId, relisted)).toBe('updated');
      expect(await store.get(productId)).toStrictEqual({ productId, ai: relisted });
    });

    it('discontinues a product the model never wrote about', async () => {
      const discontinued = { at: '2026-02-01T00:00:00.000Z', sourceEventId: 'batch-9/0' };
      expect(await store.markDiscontinued(productId, discontinued)).toBe('updated');
      expect(await store.get(productId)).toStrictEqual({ productId, discontinued });
    });

    it('lets neither content nor a discontinuation replace what a later update wrote', async () => {
      const discontinued = { at: '2026-02-01T00:00:00.000Z', sourceEventId: 'batch-9/0' };
      await store.markDiscontinued(productId, discontinued);
      const earlier = productAiContent({ updatedAt: '2026-01-31T23:59:59.999Z' });
      expect(await store.putAiContent(productId, earlier)).toBe('stale');
      expect(await store.get(productId)).toStrictEqual({ productId, discontinued });

      const later = productAiContent({ updatedAt: '2026-03-01T00:00:00.000Z' });
      await store.putAiContent(productId, later);
      expect(
        await store.markDiscontinued(productId, { at: '2026-02-15T00:00:00.000Z', sourceEventId: 'old' }),
      ).toBe('stale');
      expect(await store.get(productId)).toStrictEqual({ productId, ai: later });
    });

    it('lets the later-processed of content and a discontinuation of the same instant win', async () => {
      const at = '2026-01-31T09:00:00.000Z';
      await store.putAiContent(productId, productAiContent({ updatedAt: at }));
      expect(await store.markDiscontinued(productId, { at, sourceEventId: 'same-instant' })).toBe('updated');
      expect((await store.get(productId))?.discontinued).toStrictEqual({ at, sourceEventId: 'same-instant' });
    });

    it('rejects a discontinuation time that is not in toISOString form with RangeError', async () => {
      await expect(
        store.markDiscontinued(productId, { at: '2026-01-31', sourceEventId: 'batch-9/0' }),
      ).rejects.toBeInstanceOf(RangeError);
      expect(await store.get(productId)).toBeUndefined();
    });

    it('keeps products apart', async () => {
      const other = `${productId}-other`;
      await store.putAiContent(productId, productAiContent({ description: 'Mine.' }));
      expect(await store.get(other)).toBeUndefined();
    });
  });
}
