import {
  assertIsoTimestamp,
  assertItemIndex,
  holdsLaterUpdate,
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
    assertItemIndex(content.itemIndex, 'itemIndex');
    if (
      holdsLaterUpdate(this.products.get(productId), { at: content.updatedAt, itemIndex: content.itemIndex })
    ) {
      return 'stale';
    }
    this.products.set(productId, { productId, ai: structuredClone({ ...content, tags: [...content.tags] }) });
    return 'updated';
  }

  async markDiscontinued(
    productId: string,
    discontinuation: ProductDiscontinuation,
  ): Promise<ProductWriteResult> {
    assertIsoTimestamp(discontinuation.at, 'at');
    assertItemIndex(discontinuation.itemIndex, 'itemIndex');
    if (holdsLaterUpdate(this.products.get(productId), discontinuation)) return 'stale';
    const ai = this.products.get(productId)?.ai;
    this.products.set(productId, {
      productId,
      ...(ai === undefined ? {} : { ai }),
      discontinued: { ...discontinuation },
    });
    return 'updated';
  }
}
