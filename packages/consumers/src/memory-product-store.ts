import {
  assertIsoTimestamp,
  type ProductAiContent,
  type ProductStore,
  type ProductWriteResult,
  type StoredProduct,
} from './product-store.js';

/**
 * The product-store port in memory, with the DynamoDB store's semantics (the shared behaviour
 * suite holds both to them): for tests and `pnpm dev` without DynamoDB.
 */
export class MemoryProductStore implements ProductStore {
  private readonly products = new Map<string, StoredProduct>();

  async get(productId: string): Promise<StoredProduct | undefined> {
    const product = this.products.get(productId);
    return product === undefined ? undefined : structuredClone(product);
  }

  async putAiContent(productId: string, content: ProductAiContent): Promise<ProductWriteResult> {
    assertIsoTimestamp(content.updatedAt, 'updatedAt');
    const current = this.products.get(productId)?.ai;
    if (current !== undefined && current.updatedAt > content.updatedAt) return 'stale';
    this.products.set(productId, { productId, ai: structuredClone({ ...content, tags: [...content.tags] }) });
    return 'updated';
  }
}
