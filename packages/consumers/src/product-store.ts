/** What the model wrote about a product (the products table's `ai_*` attributes). */
export interface ProductAiContent {
  /** Two or three sentences for manga fans. */
  readonly description: string;
  /** Exactly five search tags. */
  readonly tags: readonly string[];
  /** Bedrock id of the model that wrote it. */
  readonly model: string;
  /**
   * When the catalog batch of the update it answers was first seen by the catalog webhook (the
   * enrichment message's `first_seen_at`; its SQS `SentTimestamp` for a message queued before
   * that field existed), ISO 8601 in UTC with milliseconds (`Date.prototype.toISOString`).
   * Content for an earlier update (`isLaterUpdate`) never replaces content for a later one.
   */
  readonly updatedAt: string;
  /**
   * The update's place in its batch (`item_index`): orders the updates of one time. Absent on
   * content written before the index was kept; it then counts as the first of its time.
   */
  readonly itemIndex?: number;
  /** Id of the event it was made from. */
  readonly sourceEventId: string;
}

/** That the catalog discontinued a product (the products table's `discontinued_*` attributes). */
export interface ProductDiscontinuation {
  /** When the batch of the update that discontinued it was first seen, in the form of `ProductAiContent.updatedAt`. */
  readonly at: string;
  /** The update's place in its batch, as `ProductAiContent.itemIndex`. */
  readonly itemIndex?: number;
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
 * alone. Both writes are ordered by their update's place in the catalog's order — its time, then
 * its item index (`isLaterUpdate`): neither replaces what a later update wrote (an update at the
 * same place is replaced: the later-processed of two copies wins).
 */
export interface ProductStore {
  get(productId: string): Promise<StoredProduct | undefined>;
  /**
   * Upserts the product's AI content unless it holds content or a discontinuation of a later
   * update. Content for a product lifts its discontinuation: a later update put it back in the
   * catalog. Throws `RangeError` when `updatedAt` is not in the `toISOString` form or `itemIndex`
   * is not a non-negative integer.
   */
  putAiContent(productId: string, content: ProductAiContent): Promise<ProductWriteResult>;
  /**
   * Records that the product is discontinued unless it holds content or a discontinuation of a
   * later update; its AI content stays. Throws `RangeError` as `putAiContent`.
   */
  markDiscontinued(productId: string, discontinuation: ProductDiscontinuation): Promise<ProductWriteResult>;
}

/** A catalog update's place in the catalog's order: when its batch was first seen, then its index. */
export interface CatalogUpdatePosition {
  /** ISO 8601 UTC with milliseconds. */
  readonly at: string;
  /** Absent: before every index of the same time. */
  readonly itemIndex?: number | undefined;
}

/**
 * Whether the update at `a` comes after the one at `b`: the later time, or at the same time the
 * higher item index (an absent index counts as before every index). The same time is one batch's
 * items in all but one case: two batches the webhook first saw in the same millisecond
 * (deliveries handled at once by two functions), whose order no one knows — they are ordered by
 * index like one batch, the same way however often their messages are redelivered.
 */
export function isLaterUpdate(a: CatalogUpdatePosition, b: CatalogUpdatePosition): boolean {
  if (a.at !== b.at) return a.at > b.at;
  return (a.itemIndex ?? -1) > (b.itemIndex ?? -1);
}

/** Whether the product holds content or a discontinuation of an update later than `position`. */
export function holdsLaterUpdate(
  product: StoredProduct | undefined,
  position: CatalogUpdatePosition,
): boolean {
  const { ai, discontinued } = product ?? {};
  return (
    (ai !== undefined && isLaterUpdate({ at: ai.updatedAt, itemIndex: ai.itemIndex }, position)) ||
    (discontinued !== undefined &&
      isLaterUpdate({ at: discontinued.at, itemIndex: discontinued.itemIndex }, position))
  );
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

/** Throws `RangeError` unless `value` is absent or a non-negative integer (an item index). */
export function assertItemIndex(value: number | undefined, field: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
    throw new RangeError(`${field} must be a non-negative integer, got ${value}`);
  }
}
