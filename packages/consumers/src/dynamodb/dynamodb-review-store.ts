import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Logger, RateLimitedWarning, silentLogger } from '@mangaassist/commons';
import { moderationSeverities } from '@mangaassist/contracts';
import * as z from 'zod/mini';
import type { ReviewHiding, ReviewModeration, ReviewStore, StoredReview } from '../review-store.js';

export interface DynamoDbReviewStoreOptions {
  /** The table built from `reviewsTable` (`tableName(stage, reviewsTable)`). */
  readonly tableName: string;
  /** Receives a (rate-limited) warning for each corrupt part of an item. @default silentLogger */
  readonly logger?: Logger;
}

const moderationSchema = z.object({
  safe: z.boolean(),
  severity: z.enum(['none', ...moderationSeverities]),
  categories: z.array(z.string()),
  reason: z.string(),
  review_required: z.boolean(),
  model: z.string(),
  at: z.string(),
});

const hiddenSchema = z.object({
  hidden: z.literal(true),
  hidden_reason: z.string(),
  hidden_at: z.string(),
  severity: z.enum(moderationSeverities),
  categories: z.array(z.string()),
  source_event_id: z.string(),
});

/** Every attribute the store writes, by placeholder (some are DynamoDB reserved words). */
const names = {
  '#product': 'product_id',
  '#moderation': 'moderation',
  '#hidden': 'hidden',
  '#reason': 'hidden_reason',
  '#at': 'hidden_at',
  '#severity': 'severity',
  '#categories': 'categories',
  '#source': 'source_event_id',
} as const;

/**
 * The review-store port on DynamoDB (`reviewsTable`, keyed by `review_id`). Item layout:
 * `product_id`; `moderation` (a map: `safe`, `severity`, `categories`, `reason`,
 * `review_required`, `model`, `at`); and once hidden `hidden: true`, `hidden_reason`, `hidden_at`,
 * `severity`, `categories`, `source_event_id`.
 *
 * - `recordModeration`: an Update (upsert) that sets `moderation` and, if absent, `product_id`.
 * - `hide`: an Update conditioned on `attribute_not_exists(hidden) OR hidden = false`; a failed
 *   condition is `already_hidden` and leaves the first reason in place.
 * - `get`: a strongly consistent Get; a corrupt `moderation` or hiding reads as absent (logged).
 *
 * Errors: SDK errors propagate (transient for the consumer).
 */
export class DynamoDbReviewStore implements ReviewStore {
  private readonly tableName: string;
  private readonly corruption: RateLimitedWarning;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbReviewStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.corruption = new RateLimitedWarning(options.logger ?? silentLogger, Date.now, 60_000);
  }

  async get(reviewId: string): Promise<StoredReview | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { review_id: reviewId }, ConsistentRead: true }),
    );
    if (item === undefined) return undefined;
    const productId = typeof item.product_id === 'string' ? item.product_id : undefined;
    return {
      reviewId,
      ...(productId === undefined ? {} : { productId }),
      ...this.moderationOf(reviewId, item),
      ...this.hidingOf(reviewId, item),
    };
  }

  async recordModeration(reviewId: string, productId: string, moderation: ReviewModeration): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { review_id: reviewId },
        UpdateExpression: 'SET #moderation = :moderation, #product = if_not_exists(#product, :product)',
        ExpressionAttributeNames: pick('#moderation', '#product'),
        ExpressionAttributeValues: {
          ':moderation': {
            safe: moderation.safe,
            severity: moderation.severity,
            categories: [...moderation.categories],
            reason: moderation.reason,
            review_required: moderation.reviewRequired,
            model: moderation.model,
            at: moderation.at,
          },
          ':product': productId,
        },
      }),
    );
  }

  async hide(
    reviewId: string,
    productId: string,
    hiding: ReviewHiding,
  ): Promise<'hidden' | 'already_hidden'> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { review_id: reviewId },
          UpdateExpression:
            'SET #hidden = :true, #reason = :reason, #at = :at, #severity = :severity, ' +
            '#categories = :categories, #source = :source, #product = if_not_exists(#product, :product)',
          ConditionExpression: 'attribute_not_exists(#hidden) OR #hidden = :false',
          ExpressionAttributeNames: pick(
            '#hidden',
            '#reason',
            '#at',
            '#severity',
            '#categories',
            '#source',
            '#product',
          ),
          ExpressionAttributeValues: {
            ':true': true,
            ':false': false,
            ':reason': hiding.reason,
            ':at': hiding.at,
            ':severity': hiding.severity,
            ':categories': [...hiding.categories],
            ':source': hiding.sourceEventId,
            ':product': productId,
          },
        }),
      );
      return 'hidden';
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return 'already_hidden';
      throw error;
    }
  }

  private moderationOf(reviewId: string, item: Record<string, unknown>): { moderation?: ReviewModeration } {
    if (item.moderation === undefined) return {};
    const parsed = moderationSchema.safeParse(item.moderation);
    if (!parsed.success) {
      this.corruption.warn('Reading a corrupt moderation verdict as absent', {
        table: this.tableName,
        reviewId,
      });
      return {};
    }
    const { review_required: reviewRequired, ...verdict } = parsed.data;
    return { moderation: { ...verdict, reviewRequired } };
  }

  private hidingOf(reviewId: string, item: Record<string, unknown>): { hidden?: ReviewHiding } {
    if (item.hidden === undefined || item.hidden === false) return {};
    const parsed = hiddenSchema.safeParse(item);
    if (!parsed.success) {
      this.corruption.warn('Reading a corrupt hiding as absent', { table: this.tableName, reviewId });
      return {};
    }
    const hidden = parsed.data;
    return {
      hidden: {
        reason: hidden.hidden_reason,
        at: hidden.hidden_at,
        severity: hidden.severity,
        categories: hidden.categories,
        sourceEventId: hidden.source_event_id,
      },
    };
  }
}

/** The expression attribute names an expression uses (DynamoDB rejects unused ones). */
function pick(...placeholders: (keyof typeof names)[]): Record<string, string> {
  return Object.fromEntries(placeholders.map((placeholder) => [placeholder, names[placeholder]]));
}
