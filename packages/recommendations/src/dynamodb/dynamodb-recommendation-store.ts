import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { assertIsoTimestamp } from '@mangaassist/consumers';
import { type SegmentRecommendations, segmentRecommendationsSchema } from '@mangaassist/contracts';
import {
  maxStoredSegments,
  type RecommendationStore,
  RecommendationStoreUnavailableError,
} from '../recommendation-store.js';

export interface DynamoDbRecommendationStoreOptions {
  /** The table built from `recommendationsTable` (`tableName(stage, recommendationsTable)`). */
  readonly tableName: string;
}

/**
 * The recommendation store on the recommendations table (`recommendationsTable`, key `segment`):
 * `put` is one conditional `PutItem` (no list stored, or one not generated later), `get` a
 * strongly consistent `GetItem`, `list` one `Scan` of at most `maxStoredSegments` items. An item
 * that is not a list (written by hand, say) is skipped by `list` and `undefined` for `get`.
 * Failures of the table reach the caller as `RecommendationStoreUnavailableError`.
 */
export class DynamoDbRecommendationStore implements RecommendationStore {
  readonly #tableName: string;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbRecommendationStoreOptions,
  ) {
    this.#tableName = options.tableName;
  }

  async put(list: SegmentRecommendations): Promise<'stored' | 'stale'> {
    assertIsoTimestamp(list.generated_at, 'generated_at');
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...list, product_ids: [...list.product_ids] },
          ConditionExpression: 'attribute_not_exists(#generatedAt) OR #generatedAt <= :at',
          ExpressionAttributeNames: { '#generatedAt': 'generated_at' },
          ExpressionAttributeValues: { ':at': list.generated_at },
        }),
      );
      return 'stored';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'stale';
      throw unavailable('put', error);
    }
  }

  async get(segment: string): Promise<SegmentRecommendations | undefined> {
    try {
      const { Item: item } = await this.client.send(
        new GetCommand({ TableName: this.#tableName, Key: { segment }, ConsistentRead: true }),
      );
      return readList(item);
    } catch (error) {
      throw unavailable('get', error);
    }
  }

  async list(): Promise<SegmentRecommendations[]> {
    let items: Record<string, unknown>[];
    try {
      ({ Items: items = [] } = await this.client.send(
        new ScanCommand({ TableName: this.#tableName, Limit: maxStoredSegments }),
      ));
    } catch (error) {
      throw unavailable('list', error);
    }
    return items.flatMap((item) => readList(item) ?? []).sort((a, b) => (a.segment < b.segment ? -1 : 1));
  }
}

function readList(item: Record<string, unknown> | undefined): SegmentRecommendations | undefined {
  const parsed = segmentRecommendationsSchema.safeParse(item);
  return parsed.success
    ? {
        segment: parsed.data.segment,
        product_ids: parsed.data.product_ids,
        model_id: parsed.data.model_id,
        generated_at: parsed.data.generated_at,
      }
    : undefined;
}

function unavailable(operation: string, error: unknown): RecommendationStoreUnavailableError {
  const reason = error instanceof Error ? error.message : String(error);
  return new RecommendationStoreUnavailableError(`recommendations table ${operation} failed: ${reason}`, {
    cause: error,
  });
}
