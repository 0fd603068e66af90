import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Logger, RateLimitedWarning, silentLogger } from '@mangaassist/commons';
import * as z from 'zod/mini';
import {
  assertIsoTimestamp,
  assertItemIndex,
  type ProductAiContent,
  type ProductDiscontinuation,
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
  ai_item_index: z.optional(z.int()),
  ai_source_event_id: z.string(),
});

/** The `discontinued_*` attributes as written. */
const discontinuedItemSchema = z.object({
  discontinued_at: z.string(),
  discontinued_item_index: z.optional(z.int()),
  discontinued_source_event_id: z.string(),
});

const attributeNames = {
  '#description': 'ai_description',
  '#tags': 'ai_tags',
  '#model': 'ai_model',
  '#updatedAt': 'ai_updated_at',
  '#itemIndex': 'ai_item_index',
  '#source': 'ai_source_event_id',
  '#discontinuedAt': 'discontinued_at',
  '#discontinuedIndex': 'discontinued_item_index',
  '#discontinuedSource': 'discontinued_source_event_id',
} as const;

/**
 * Nothing stored for an update later than (`:at`, `:index`) — neither content nor a
 * discontinuation: an earlier time, or the same time and an index not above (a stored update
 * without an index counts as the first of its time; `:index` is -1 for a write without one).
 */
const nothingLaterThan =
  '(attribute_not_exists(#updatedAt) OR #updatedAt < :at OR ' +
  '(#updatedAt = :at AND (attribute_not_exists(#itemIndex) OR #itemIndex <= :index))) AND ' +
  '(attribute_not_exists(#discontinuedAt) OR #discontinuedAt < :at OR ' +
  '(#discontinuedAt = :at AND (attribute_not_exists(#discontinuedIndex) OR #discontinuedIndex <= :index)))';

/** An item index as the condition compares it: -1, before every index, when there is none. */
const indexValue = (itemIndex: number | undefined) => itemIndex ?? -1;

/**
 * The product-store port on DynamoDB (`productsTable`, keyed by `product_id`). The AI content is
 * `ai_description`, `ai_tags` (a list), `ai_model`, `ai_updated_at` (ISO 8601 with milliseconds),
 * `ai_item_index` (a number) and `ai_source_event_id`; a discontinuation is `discontinued_at`,
 * `discontinued_item_index` and `discontinued_source_event_id`. Other attributes of the item are
 * never touched. Items written before the item indexes were kept have none: they count as the
 * first update of their time.
 *
 * - `get`: a strongly consistent Get; an item whose `ai_*` (or `discontinued_*`) attributes are
 *   incomplete or corrupt reads as a product without AI content (or not discontinued), logged.
 * - `putAiContent`: one Update (an upsert) that sets the `ai_*` attributes and removes the
 *   `discontinued_*` ones, conditioned on neither the content nor the discontinuation stored
 *   being of a later update — a later time, or the same time and a higher item index — so content
 *   for an earlier catalog update never replaces what a later one wrote; a failed condition is
 *   `stale`.
 * - `markDiscontinued`: one Update that sets the `discontinued_*` attributes on the same
 *   condition, leaving the AI content.
 *
 * Errors: `RangeError` for a time not in `toISOString` form or an item index that is not a
 * non-negative integer; SDK errors propagate (transient for the consumer).
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
    const ai = this.part(item, 'ai_', aiItemSchema, productId);
    const discontinued = this.part(item, 'discontinued_', discontinuedItemSchema, productId);
    return {
      productId,
      ...(ai === undefined
        ? {}
        : {
            ai: {
              description: ai.ai_description,
              tags: ai.ai_tags,
              model: ai.ai_model,
              updatedAt: ai.ai_updated_at,
              ...(ai.ai_item_index === undefined ? {} : { itemIndex: ai.ai_item_index }),
              sourceEventId: ai.ai_source_event_id,
            },
          }),
      ...(discontinued === undefined
        ? {}
        : {
            discontinued: {
              at: discontinued.discontinued_at,
              ...(discontinued.discontinued_item_index === undefined
                ? {}
                : { itemIndex: discontinued.discontinued_item_index }),
              sourceEventId: discontinued.discontinued_source_event_id,
            },
          }),
    };
  }

  async putAiContent(productId: string, content: ProductAiContent): Promise<ProductWriteResult> {
    assertIsoTimestamp(content.updatedAt, 'updatedAt');
    assertItemIndex(content.itemIndex, 'itemIndex');
    const indexed = content.itemIndex !== undefined;
    return this.update(productId, {
      UpdateExpression:
        'SET #description = :description, #tags = :tags, #model = :model, #updatedAt = :at, ' +
        `${indexed ? '#itemIndex = :index, ' : ''}#source = :source ` +
        `REMOVE ${indexed ? '' : '#itemIndex, '}#discontinuedAt, #discontinuedIndex, #discontinuedSource`,
      ExpressionAttributeValues: {
        ':description': content.description,
        ':tags': [...content.tags],
        ':model': content.model,
        ':at': content.updatedAt,
        ':index': indexValue(content.itemIndex),
        ':source': content.sourceEventId,
      },
    });
  }

  async markDiscontinued(
    productId: string,
    discontinuation: ProductDiscontinuation,
  ): Promise<ProductWriteResult> {
    assertIsoTimestamp(discontinuation.at, 'at');
    assertItemIndex(discontinuation.itemIndex, 'itemIndex');
    const indexed = discontinuation.itemIndex !== undefined;
    return this.update(productId, {
      UpdateExpression: indexed
        ? 'SET #discontinuedAt = :at, #discontinuedIndex = :index, #discontinuedSource = :source'
        : 'SET #discontinuedAt = :at, #discontinuedSource = :source REMOVE #discontinuedIndex',
      ExpressionAttributeValues: {
        ':at': discontinuation.at,
        ':index': indexValue(discontinuation.itemIndex),
        ':source': discontinuation.sourceEventId,
      },
    });
  }

  /** One conditional Update: `stale` when something later is stored. */
  private async update(
    productId: string,
    expression: { UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> },
  ): Promise<ProductWriteResult> {
    // DynamoDB refuses a name the expressions do not use.
    const used = new Set(`${expression.UpdateExpression} ${nothingLaterThan}`.match(/#[A-Za-z]+/g));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { product_id: productId },
          ...expression,
          ConditionExpression: nothingLaterThan,
          ExpressionAttributeNames: Object.fromEntries(
            Object.entries(attributeNames).filter(([name]) => used.has(name)),
          ),
        }),
      );
      return 'updated';
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return 'stale';
      throw error;
    }
  }

  /** The attributes starting with `prefix`, when the item has any and they are whole (else logged). */
  private part<T>(
    item: Record<string, unknown>,
    prefix: string,
    schema: z.ZodMiniType<T>,
    productId: string,
  ): T | undefined {
    if (!Object.keys(item).some((attribute) => attribute.startsWith(prefix))) return undefined;
    const parsed = schema.safeParse(item);
    if (parsed.success) return parsed.data;
    this.corruption.warn(`Reading a product with corrupt ${prefix}* attributes as without them`, {
      table: this.tableName,
      productId,
    });
    return undefined;
  }
}
