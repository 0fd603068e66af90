import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  analyticsExpiresAt,
  analyticsLimits,
  assertAttentionEntry,
  assertDay,
  assertTtlDays,
  attentionEntryFromItem,
  attentionEntryItem,
  attentionKey,
  dailyStatsFromCounters,
  inferenceDayKey,
  inferenceIncrements,
} from '../analytics-items.js';
import type {
  AnalyticsStore,
  AttentionEntry,
  AttentionLog,
  AttentionRecordResult,
  DailyInferenceStats,
  InferenceUsage,
} from '../analytics-store.js';

/** Most entries an attention list may be configured to keep: ~300 bytes each under DynamoDB's 400 KB item. */
const maxConfigurableAttentionEntries = 500;

export interface DynamoDbAnalyticsStoreOptions {
  /** The table built from `inferenceAnalyticsTable` (`tableName(stage, inferenceAnalyticsTable)`). */
  readonly tableName: string;
  /** Items expire (`expires_at`) this many days after their UTC day began. @default 400 */
  readonly ttlDays?: number;
  /** Entries an `attention#<day>` list keeps, 1 to 500. @default 100 */
  readonly maxAttentionEntries?: number;
}

/**
 * The analytics-store port on DynamoDB (`inferenceAnalyticsTable`, partition key `pk`).
 *
 * - `recordInference`: one `UpdateItem` on `<model>#<day>` that `ADD`s every counter of the
 *   inference (`inferenceIncrements`) and `SET`s `model`, `day` and `expires_at`. DynamoDB applies
 *   updates to one item one at a time, so concurrent writers — many Lambda instances — sum exactly;
 *   no read-modify-write, no condition, nothing to retry on contention. Not idempotent: the
 *   consumer's dedupe on the event id guards against a redelivered event counting twice.
 * - `recordAttention`: one `UpdateItem` on `attention#<day>` that appends the entry with
 *   `list_append`, adds its request id to the `request_ids` set and counts `total`, on condition
 *   that the list has room and does not hold the request id. When the condition fails, a strongly
 *   consistent read tells a duplicate (`duplicate`, nothing written) from a full list, which then
 *   only counts the entry (`total`, `dropped`: `dropped`).
 * - Reads are strongly consistent `GetItem`s.
 *
 * Errors: `RangeError` for bad input (see the port) or options; SDK errors (after the SDK's own
 * retries) propagate.
 *
 * @example
 * const analytics = new DynamoDbAnalyticsStore(createDocumentClient(), {
 *   tableName: tableName('prod', inferenceAnalyticsTable),
 * });
 */
export class DynamoDbAnalyticsStore implements AnalyticsStore {
  private readonly tableName: string;
  private readonly ttlDays: number;
  private readonly maxAttentionEntries: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbAnalyticsStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.ttlDays = options.ttlDays ?? analyticsLimits.ttlDays;
    assertTtlDays(this.ttlDays);
    this.maxAttentionEntries = options.maxAttentionEntries ?? analyticsLimits.maxAttentionEntries;
    if (
      !Number.isSafeInteger(this.maxAttentionEntries) ||
      this.maxAttentionEntries < 1 ||
      this.maxAttentionEntries > maxConfigurableAttentionEntries
    ) {
      throw new RangeError(
        `maxAttentionEntries must be 1 to ${maxConfigurableAttentionEntries}, got ${this.maxAttentionEntries}`,
      );
    }
  }

  async recordInference(usage: InferenceUsage): Promise<void> {
    const increments = Object.entries(inferenceIncrements(usage));
    const names: Record<string, string> = { '#model': 'model', '#day': 'day', '#expires': 'expires_at' };
    const values: Record<string, unknown> = {
      ':model': usage.model,
      ':day': usage.day,
      ':expires': analyticsExpiresAt(usage.day, this.ttlDays),
    };
    const additions = increments.map(([name, increment], index) => {
      names[`#c${index}`] = name;
      values[`:c${index}`] = increment;
      return `#c${index} :c${index}`;
    });
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: inferenceDayKey(usage.model, usage.day) },
        UpdateExpression: `SET #model = :model, #day = :day, #expires = :expires ADD ${additions.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async dailyStats(model: string, day: string): Promise<DailyInferenceStats | undefined> {
    const item = await this.get(inferenceDayKey(model, day));
    return item === undefined ? undefined : dailyStatsFromCounters(model, day, item);
  }

  async recordAttention(day: string, entry: AttentionEntry): Promise<AttentionRecordResult> {
    assertAttentionEntry(entry);
    const key = attentionKey(day);
    const common = {
      ':day': day,
      ':expires': analyticsExpiresAt(day, this.ttlDays),
      ':one': 1,
      ':id': entry.requestId,
    };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression:
            'SET #entries = list_append(if_not_exists(#entries, :empty), :entry), #day = :day, ' +
            '#expires = :expires ADD #total :one, #ids :ids',
          ConditionExpression:
            '(attribute_not_exists(#entries) OR size(#entries) < :max) AND NOT contains(#ids, :id)',
          ExpressionAttributeNames: {
            '#entries': 'entries',
            '#day': 'day',
            '#expires': 'expires_at',
            '#total': 'total',
            '#ids': 'request_ids',
          },
          ExpressionAttributeValues: {
            ...common,
            ':empty': [],
            ':entry': [attentionEntryItem(entry)],
            ':ids': new Set([entry.requestId]),
            ':max': this.maxAttentionEntries,
          },
        }),
      );
      return 'recorded';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    if (await this.holdsRequest(key, entry.requestId)) return 'duplicate';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression: 'SET #day = :day, #expires = :expires ADD #total :one, #dropped :one',
          ConditionExpression: 'NOT contains(#ids, :id)',
          ExpressionAttributeNames: {
            '#day': 'day',
            '#expires': 'expires_at',
            '#total': 'total',
            '#dropped': 'dropped',
            '#ids': 'request_ids',
          },
          ExpressionAttributeValues: common,
        }),
      );
      return 'dropped';
    } catch (error) {
      if (isConditionFailure(error)) return 'duplicate';
      throw error;
    }
  }

  async attention(day: string): Promise<AttentionLog | undefined> {
    assertDay(day);
    const item = await this.get(attentionKey(day));
    if (item === undefined) return undefined;
    const entries = Array.isArray(item.entries) ? item.entries : [];
    return {
      day,
      entries: entries.flatMap((stored) => attentionEntryFromItem(stored) ?? []),
      total: typeof item.total === 'number' ? item.total : entries.length,
      dropped: typeof item.dropped === 'number' ? item.dropped : 0,
    };
  }

  private async holdsRequest(key: string, requestId: string): Promise<boolean> {
    const item = await this.get(key);
    const ids = item?.request_ids;
    return ids instanceof Set && ids.has(requestId);
  }

  private async get(pk: string): Promise<Record<string, unknown> | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }),
    );
    return item;
  }
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
