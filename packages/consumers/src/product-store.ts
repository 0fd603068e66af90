/** What the model wrote about a product (the products table's `ai_*` attributes). */
export interface ProductAiContent {
  /** Two or three sentences for manga fans. */
  readonly description: string;
  /** Exactly five search tags. */
  readonly tags: readonly string[];
  /** Bedrock id of the model that wrote it. */
  readonly model: string;
  /**
   * When the catalog update it answers was queued (the enrichment message's SQS `SentTimestamp`),
   * ISO 8601 in UTC with milliseconds (`Date.prototype.toISOString`). Content for an older update
   * never replaces content for a newer one.
   */
  readonly updatedAt: string;
  /** Id of the event it was made from. */
  readonly sourceEventId: string;
}

/** That the catalog discontinued a product (the products table's `discontinued_*` attributes). */
export interface ProductDiscontinuation {
  /** When the catalog update that discontinued it was queued, in the form of `ProductAiContent.updatedAt`. */
  readonly at: string;
  /** Id of the catalog update. */
  readonly sourceEventId: string;
}

/** A product as the consumers know it. */
export interface StoredProduct {
  readonly productId: string;
  /** Absent until the model has written about the product. */
  readonly ai?: ProductAiContent;
  /** Present while the product's latest catalog update is a discontinuation. */
  readonly discontinued?: ProductDiscontinuation;
}

/**
 * What a write did: `updated` wrote it; `stale` wrote nothing because the product already holds
 * content or a discontinuation for a later update (a message redriven from a dead-letter queue
 * comes back after its product's later updates).
 */
export type ProductWriteResult = 'updated' | 'stale';

/**
 * The product-store port (the products table, keyed by `product_id`). Writes touch only the
 * `ai_*` and `discontinued_*` attributes, so whatever else the catalog keeps on the item is left
 * alone. Both writes are ordered by their time: neither replaces what a later update wrote (an
 * equal time is replaced: the later-processed of two updates in the same instant wins).
 */
export interface ProductStore {
  get(productId: string): Promise<StoredProduct | undefined>;
  /**
   * Upserts the product's AI content unless it holds content or a discontinuation with a later
   * time. Content for a product lifts its discontinuation: a later update put it back in the
   * catalog. Throws `RangeError` when `updatedAt` is not in the `toISOString` form.
   */
  putAiContent(productId: string, content: ProductAiContent): Promise<ProductWriteResult>;
  /**
   * Records that the product is discontinued unless it holds content or a discontinuation with a
   * later time; its AI content stays. Throws `RangeError` when `at` is not in the `toISOString`
   * form.
   */
  markDiscontinued(productId: string, discontinuation: ProductDiscontinuation): Promise<ProductWriteResult>;
}

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Throws `RangeError` unless `value` is an ISO 8601 UTC timestamp with milliseconds, the one form
 * whose string order is its time order (the stores compare them as strings).
 */
export function assertIsoTimestamp(value: string, field: string): void {
  if (!isoTimestamp.test(value) || Number.isNaN(Date.parse(value))) {
    throw new RangeError(`${field} must be an ISO 8601 UTC timestamp with milliseconds, got ${value}`);
  }
}
