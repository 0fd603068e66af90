import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  assertEmbeddingRequest,
  assertListLimit,
  type CatalogPage,
  type CatalogProduct,
  type EmbeddingMarkResult,
  type EmbeddingRequest,
  type ProductCatalog,
} from '../product-catalog.js';

export interface DynamoDbProductCatalogOptions {
  /** The table built from `productsTable` (`tableName(stage, productsTable)`). */
  readonly tableName: string;
  /** Most Scan pages one `list` reads before it answers with what it has. @default 10 */
  readonly maxScanPages?: number;
}

const projectedNames = {
  '#id': 'product_id',
  '#title': 'title',
  '#genre': 'genre',
  '#tags': 'ai_tags',
  '#embeddingTitle': 'embedding_title',
} as const;

/**
 * The product-catalog ports on the products table (`productsTable`, key `product_id`).
 *
 * - `list(limit)`: a `Scan` projected on `product_id`, `title`, `genre`, `ai_tags` and
 *   `embedding_title`, page after page until `limit` products or `maxScanPages` pages (a bound on
 *   the read cost of one run, however large the catalog), eventually consistent. Items without a
 *   string `product_id` are skipped.
 * - `markEmbeddingStale`: one `UpdateItem` that sets `embedding_status = 'stale'`,
 *   `embedding_requested_at` and `embedding_title`, on condition that the product is not already
 *   stale for the same title (`already-stale` then, nothing written). Touches no other attribute,
 *   so the catalog's fields and the FM trigger's `ai_*` content stay as they are.
 *
 * Errors: `RangeError` for bad input; SDK errors (after the SDK's own retries) propagate.
 *
 * @example
 * const catalog = new DynamoDbProductCatalog(createDocumentClient(), { tableName: tableName('prod', productsTable) });
 */
export class DynamoDbProductCatalog implements ProductCatalog {
  private readonly tableName: string;
  private readonly maxScanPages: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbProductCatalogOptions,
  ) {
    this.tableName = options.tableName;
    this.maxScanPages = options.maxScanPages ?? 10;
    if (!Number.isSafeInteger(this.maxScanPages) || this.maxScanPages < 1) {
      throw new RangeError(`maxScanPages must be a positive integer, got ${this.maxScanPages}`);
    }
  }

  async list(limit: number): Promise<CatalogProduct[]> {
    assertListLimit(limit);
    const products: CatalogProduct[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < this.maxScanPages && products.length < limit; page++) {
      const { Items: items = [], LastEvaluatedKey: lastKey } = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ProjectionExpression: Object.keys(projectedNames).join(', '),
          ExpressionAttributeNames: projectedNames,
          Limit: limit - products.length,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of items) {
        const product = catalogProduct(item);
        if (product !== undefined && products.length < limit) products.push(product);
      }
      if (lastKey === undefined) break;
      startKey = lastKey;
    }
    return products;
  }

  async page(cursor: string | undefined, limit: number): Promise<CatalogPage> {
    assertListLimit(limit);
    const { Items: items = [], LastEvaluatedKey: lastKey } = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        ProjectionExpression: Object.keys(projectedNames).join(', '),
        ExpressionAttributeNames: projectedNames,
        Limit: limit,
        ...(cursor === undefined ? {} : { ExclusiveStartKey: { product_id: productIdOfCursor(cursor) } }),
      }),
    );
    const products = items.flatMap((item) => {
      const product = catalogProduct(item);
      return product === undefined ? [] : [product];
    });
    const next = typeof lastKey?.product_id === 'string' ? lastKey.product_id : undefined;
    return next === undefined
      ? { products }
      : { products, cursor: Buffer.from(next, 'utf8').toString('base64url') };
  }

  async markEmbeddingStale(productId: string, request: EmbeddingRequest): Promise<EmbeddingMarkResult> {
    assertEmbeddingRequest(productId, request);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { product_id: productId },
          UpdateExpression: 'SET #status = :stale, #requestedAt = :requestedAt, #title = :title',
          ConditionExpression: 'attribute_not_exists(#status) OR #status <> :stale OR #title <> :title',
          ExpressionAttributeNames: {
            '#status': 'embedding_status',
            '#requestedAt': 'embedding_requested_at',
            '#title': 'embedding_title',
          },
          ExpressionAttributeValues: {
            ':stale': 'stale',
            ':requestedAt': request.requestedAt,
            ':title': request.title,
          },
        }),
      );
      return 'marked';
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return 'already-stale';
      throw error;
    }
  }
}

function catalogProduct(item: Record<string, unknown>): CatalogProduct | undefined {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const productId = text(item.product_id);
  if (productId === undefined) return undefined;
  const title = text(item.title) ?? text(item.embedding_title);
  const genre = text(item.genre);
  // A list as the FM trigger writes it; a string set read as well.
  const storedTags = item.ai_tags instanceof Set ? [...item.ai_tags] : item.ai_tags;
  const tags = Array.isArray(storedTags)
    ? storedTags.filter((tag): tag is string => typeof tag === 'string')
    : undefined;
  return {
    productId,
    ...(title === undefined ? {} : { title }),
    ...(genre === undefined ? {} : { genre }),
    ...(tags === undefined ? {} : { tags }),
  };
}

/** The product id a `page` cursor holds (base64url of the last key's `product_id`). */
function productIdOfCursor(cursor: string): string {
  const productId = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (productId === '' || Buffer.from(productId, 'utf8').toString('base64url') !== cursor) {
    throw new RangeError(`not a catalog cursor: ${cursor}`);
  }
  return productId;
}
