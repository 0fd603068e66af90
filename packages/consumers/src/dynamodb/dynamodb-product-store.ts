import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Logger, RateLimitedWarning, silentLogger } from '@mangaassist/commons';
import * as z from 'zod/mini';
import {
  assertIsoTimestamp,
  type ProductAiContent,
  type ProductStore,
  type ProductWriteResult,
  type StoredProduct,
} from '../product-store.js';

export interface DynamoDbProductStoreOptions {
  /** The table built from `productsTable` (`tableName(stage, productsTable)`). */
  readonly tableName: string;
  /** Receives a (rate-limited) warning for each item whose `ai_*` attributes are corrupt. @default silentLogger */
  readonly logger?: Logger;
}

/** The `ai_*` attributes as written; an item with only some of them has no AI content. */
const aiItemSchema = z.object({
  ai_description: z.string(),
  ai_tags: z.array(z.string()),
  ai_model: z.string(),
  ai_updated_at: z.string(),
  ai_source_event_id: z.string(),
});

/**
 * The product-store port on DynamoDB (`productsTable`, keyed by `product_id`). The AI content is
 * `ai_description`, `ai_tags` (a list), `ai_model`, `ai_updated_at` (ISO 8601 with milliseconds)
 * and `ai_source_event_id`; other attributes of the item are never touched.
 *
 * - `get`: a strongly consistent Get; an item whose `ai_*` attributes are incomplete or corrupt
 *   reads as a product without AI content (logged).
 * - `putAiContent`: one Update (an upsert) conditioned on `attribute_not_exists(ai_updated_at) OR
 *   ai_updated_at <= :updatedAt`, so content for an older catalog update never replaces newer
 *   content, however the events interleave; a failed condition is `stale`.
 *
 * Errors: `RangeError` for an `updatedAt` not in `toISOString` form; SDK errors propagate
 * (transient for the consumer).
 */
export class DynamoDbProductStore implements ProductStore {
  private readonly tableName: string;
  private readonly corruption: RateLimitedWarning;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbProductStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.corruption = new RateLimitedWarning(options.logger ?? silentLogger, Date.now, 60_000);
  }

  async get(productId: string): Promise<StoredProduct | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { product_id: productId }, ConsistentRead: true }),
    );
    if (item === undefined) return undefined;
    if (!Object.keys(item).some((attribute) => attribute.startsWith('ai_'))) return { productId };
    const parsed = aiItemSchema.safeParse(item);
    if (!parsed.success) {
      this.corruption.warn('Reading a product with corrupt AI attributes as without AI content', {
        table: this.tableName,
        productId,
      });
      return { productId };
    }
    const ai = parsed.data;
    return {
      productId,
      ai: {
        description: ai.ai_description,
        tags: ai.ai_tags,
        model: ai.ai_model,
        updatedAt: ai.ai_updated_at,
        sourceEventId: ai.ai_source_event_id,
      },
    };
  }

  async putAiContent(productId: string, content: ProductAiContent): Promise<ProductWriteResult> {
    assertIsoTimestamp(content.updatedAt, 'updatedAt');
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { product_id: productId },
          UpdateExpression:
            'SET #description = :description, #tags = :tags, #model = :model, #updatedAt = :updatedAt, #source = :source',
          ConditionExpression: 'attribute_not_exists(#updatedAt) OR #updatedAt <= :updatedAt',
          ExpressionAttributeNames: {
            '#description': 'ai_description',
            '#tags': 'ai_tags',
            '#model': 'ai_model',
            '#updatedAt': 'ai_updated_at',
            '#source': 'ai_source_event_id',
          },
          ExpressionAttributeValues: {
            ':description': content.description,
            ':tags': [...content.tags],
            ':model': content.model,
            ':updatedAt': content.updatedAt,
            ':source': content.sourceEventId,
          },
        }),
      );
      return 'updated';
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return 'stale';
      throw error;
    }
  }
}
