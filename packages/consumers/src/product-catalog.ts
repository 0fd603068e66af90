/**
 * The products table as the embedding and recommendation consumers see it — apart from the
 * `ProductStore` port (the FM trigger's `ai_*` content), because these consumers read the
 * catalog's own attributes (`title`, `genre`) and write only `embedding_*` attributes.
 */
import { assertIsoTimestamp } from './product-store.js';

/** A product as the recommendation regeneration reads it. */
export interface CatalogProduct {
  readonly productId: string;
  /** The catalog's `title`, else the title of the last embedding request. */
  readonly title?: string;
  /** The catalog's `genre` (`少年`, `shonen` …), when the catalog keeps one. */
  readonly genre?: string;
  /** The model's tags (`ai_tags`), when the FM trigger has written them. */
  readonly tags?: readonly string[];
}

/** Most products one `list` may return. */
export const maxCatalogListLimit = 1_000;

/** One page of the catalog, and where the next one starts. */
export interface CatalogPage {
  readonly products: CatalogProduct[];
  /** Give to `page` for the next page; absent after the last one. */
  readonly cursor?: string;
}

/** Reads a bounded part of the catalog, or all of it page by page. */
export interface ProductCatalogReader {
  /**
   * Up to `limit` products (1 to 1 000), in the store's own order (DynamoDB: scan order). Throws
   * `RangeError` for a limit out of range; I/O errors propagate.
   */
  list(limit: number): Promise<CatalogProduct[]>;
  /**
   * The page of at most `limit` products (1 to 1 000) starting at `cursor` (the first page
   * without one); every product comes once over the pages. A page may hold fewer products than
   * `limit` and still be followed by another. Throws `RangeError` for a limit out of range or a
   * cursor no page gave; I/O errors propagate.
   */
  page(cursor: string | undefined, limit: number): Promise<CatalogPage>;
}

/** An embedding the vector pipeline should rebuild. */
export interface EmbeddingRequest {
  /** The product's title as the catalog update carried it (`embedding_title`). */
  readonly title: string;
  /** ISO 8601 UTC with milliseconds (`embedding_requested_at`). */
  readonly requestedAt: string;
}

/**
 * `marked`: the product's embedding is now stale for this title. `already-stale`: it was already
 * stale for the same title, nothing written (the first request's time is kept).
 */
export type EmbeddingMarkResult = 'marked' | 'already-stale';

/**
 * Marks products' embeddings stale for the vector pipeline, which lives outside this platform:
 * it picks up `embedding_status = 'stale'` items, embeds them and sets the status back.
 */
export interface EmbeddingStatusStore {
  /**
   * Sets `embedding_status: 'stale'`, `embedding_requested_at` and `embedding_title` on the
   * product (creating the item when the product is new), unless it is already stale for the same
   * title. Throws `RangeError` for an empty product id or a `requestedAt` not in `toISOString`
   * form; I/O errors propagate.
   */
  markEmbeddingStale(productId: string, request: EmbeddingRequest): Promise<EmbeddingMarkResult>;
}

/** Both sides, as one adapter of the products table provides them. */
export type ProductCatalog = ProductCatalogReader & EmbeddingStatusStore;

/** A product's embedding state, as the memory catalog keeps it. */
export interface EmbeddingState {
  readonly status: 'stale' | 'current';
  readonly title: string;
  readonly requestedAt: string;
}

/** Throws `RangeError` unless `limit` is 1 to `maxCatalogListLimit`. */
export function assertListLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxCatalogListLimit) {
    throw new RangeError(`limit must be 1 to ${maxCatalogListLimit}, got ${limit}`);
  }
}

/** Throws `RangeError` for an embedding request the stores must refuse. */
export function assertEmbeddingRequest(productId: string, request: EmbeddingRequest): void {
  if (productId === '') throw new RangeError('productId must not be empty');
  assertIsoTimestamp(request.requestedAt, 'requestedAt');
}

/**
 * The product catalog in memory, for tests and `pnpm dev` without DynamoDB: `put` seeds products,
 * `embedding` shows what was requested, `markEmbeddingCurrent` plays the vector pipeline.
 */
export class MemoryProductCatalog implements ProductCatalog {
  private readonly products = new Map<string, CatalogProduct>();
  private readonly embeddings = new Map<string, EmbeddingState>();

  constructor(products: readonly CatalogProduct[] = []) {
    for (const product of products) this.put(product);
  }

  put(product: CatalogProduct): void {
    this.products.set(product.productId, structuredClone(product));
  }

  async list(limit: number): Promise<CatalogProduct[]> {
    assertListLimit(limit);
    const listed = [...this.products.values()].slice(0, limit).map((product) => structuredClone(product));
    const known = new Set(listed.map((product) => product.productId));
    // Products known only from an embedding request, as a scan of the table would return them.
    for (const [productId, embedding] of this.embeddings) {
      if (listed.length >= limit) break;
      if (!known.has(productId)) listed.push({ productId, title: embedding.title });
    }
    return listed;
  }

  async page(cursor: string | undefined, limit: number): Promise<CatalogPage> {
    assertListLimit(limit);
    const ids = [...this.products.keys()].sort();
    const start = cursor === undefined ? 0 : ids.indexOf(cursor) + 1;
    if (start === 0 && cursor !== undefined) throw new RangeError(`not a catalog cursor: ${cursor}`);
    const products = ids.slice(start, start + limit).flatMap((id) => {
      const product = this.products.get(id);
      return product === undefined ? [] : [structuredClone(product)];
    });
    const last = products.at(-1);
    return start + limit < ids.length && last !== undefined
      ? { products, cursor: last.productId }
      : { products };
  }

  async markEmbeddingStale(productId: string, request: EmbeddingRequest): Promise<EmbeddingMarkResult> {
    assertEmbeddingRequest(productId, request);
    const current = this.embeddings.get(productId);
    if (current?.status === 'stale' && current.title === request.title) return 'already-stale';
    this.embeddings.set(productId, {
      status: 'stale',
      title: request.title,
      requestedAt: request.requestedAt,
    });
    return 'marked';
  }

  /** The product's embedding state; `undefined` when none was ever requested. */
  embedding(productId: string): EmbeddingState | undefined {
    const state = this.embeddings.get(productId);
    return state === undefined ? undefined : { ...state };
  }

  /** What the vector pipeline does once it has rebuilt an embedding. */
  markEmbeddingCurrent(productId: string): void {
    const state = this.embeddings.get(productId);
    if (state !== undefined) this.embeddings.set(productId, { ...state, status: 'current' });
  }
}
