import {
  assertIsoTimestamp,
  type ProductAiContent,
  type ProductDiscontinuation,
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
    if (this.holdsLaterThan(productId, content.updatedAt)) return 'stale';
    this.products.set(productId, { productId, ai: structuredClone({ ...content, tags: [...content.tags] }) });
    return 'updated';
  }

  async markDiscontinued(
    productId: string,
    discontinuation: ProductDiscontinuation,
  ): Promise<ProductWriteResult> {
    assertIsoTimestamp(discontinuation.at, 'at');
    if (this.holdsLaterThan(productId, discontinuation.at)) return 'stale';
    const ai = this.products.get(productId)?.ai;
    this.products.set(productId, {
      productId,
      ...(ai === undefined ? {} : { ai }),
      discontinued: { ...discontinuation },
    });
    return 'updated';
  }

  private holdsLaterThan(productId: string, time: string): boolean {
    const product = this.products.get(productId);
    return (
      (product?.ai !== undefined && product.ai.updatedAt > time) ||
      (product?.discontinued !== undefined && product.discontinued.at > time)
    );
  }
}
