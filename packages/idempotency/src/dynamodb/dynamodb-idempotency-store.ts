import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  assertTtlSeconds,
  expiresAtSeconds,
  type Logger,
  RateLimitedWarning,
  silentLogger,
} from '@mangaassist/commons';
import { webhookLimits } from '@mangaassist/contracts';
import * as z from 'zod/mini';
import {
  assertClaimToken,
  assertIdempotencyKey,
  assertInProgressSeconds,
  type IdempotencyRecord,
  idempotencyLimits,
  inProgressUntil,
  isClaimable,
  nowSeconds,
  storableSummary,
} from '../idempotency-rules.js';
import type { ClaimResult, CompletionResult, IdempotencyStore } from '../idempotency-store.js';

export interface DynamoDbIdempotencyStoreOptions {
  /**
   * A table with the idempotency layout: `webhookIdempotencyTable` or `consumedEventsTable`
   * (`tableName(stage, spec)`).
   */
  readonly tableName: string;
  /**
   * How long a completed delivery is remembered after its completion, seconds; written as
   * `expires_at` for DynamoDB's TTL.
   * @default webhookLimits.idempotencyTtlSeconds (7 days, past Stripe's 3-day retry window)
   */
  readonly ttlSeconds?: number;
  /** The current time in epoch milliseconds (claims, in-progress expiry, `expires_at`). @default Date.now */
  readonly now?: () => number;
  /** Receives a (rate-limited) warning for each corrupt record met. @default silentLogger */
  readonly logger?: Logger;
}

/** The item layout; anything else under a key is corrupt. */
const itemSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('IN_PROGRESS'),
    claim_token: z.string().check(z.minLength(1)),
    in_progress_until: z.number(),
    expires_at: z.number(),
  }),
  z.object({
    status: z.literal('COMPLETED'),
    claim_token: z.string().check(z.minLength(1)),
    expires_at: z.number(),
    summary: z.record(z.string(), z.unknown()),
  }),
]);

/** `status` is a DynamoDB reserved word; the others are named alike for one style of expression. */
const attributeNames = {
  '#key': 'idempotency_key',
  '#status': 'status',
  '#token': 'claim_token',
  '#until': 'in_progress_until',
  '#expires': 'expires_at',
  '#summary': 'summary',
} as const;

/** Claimable: no item, an expired one (TTL deletes lazily), or a claim whose in-progress time ran out. */
const claimCondition =
  'attribute_not_exists(#key) OR #expires <= :nowSeconds OR (#status = :inProgress AND #until <= :now)';

/**
 * The idempotency-store port on DynamoDB, one item per key in the idempotency table layout
 * (`webhookIdempotencyTable`, `consumedEventsTable`):
 * `idempotency_key`, `status` (`IN_PROGRESS` | `COMPLETED`), `claim_token`, `in_progress_until`
 * (epoch ms, while in progress), `summary` (once completed) and `expires_at` (epoch seconds, TTL).
 *
 * - `claim`: one conditional Put of a fresh in-progress item with a new random token, allowed when
 *   the key is claimable (no item, an expired one, or an in-progress one past `in_progress_until`).
 *   Expired items count as absent here and on every read, because DynamoDB's TTL deletes them only
 *   eventually. When the condition fails, one strongly consistent Get explains it: `completed` with
 *   the summary, or `in_progress`. The Get (rather than `ReturnValuesOnConditionCheckFailure`) is
 *   used because the document client leaves that item marshalled and the embedded DynamoDB does not
 *   return it. If the item changed in between (released, expired), the claim is tried again, up to
 *   `idempotencyLimits.maxClaimAttempts`, then `in_progress` is answered (retryable, never a second
 *   processing). An item carrying this call's own token means the SDK retried a Put that had
 *   succeeded unseen: the claim is ours. A corrupt item is answered `in_progress` and logged.
 * - `complete`: an Update to `COMPLETED` with the summary, `expires_at` renewed to `ttlSeconds` after
 *   now, conditioned on the token (and the item not expired); otherwise `claim_lost`, nothing
 *   written. Repeating it with the same token is harmless.
 * - `release`: a Delete conditioned on the token and `IN_PROGRESS`; no-op when the claim is not ours.
 *
 * An attempt that runs past its in-progress time while another claims the key leads to two
 * processings: choose `inProgressSeconds` above the function's timeout.
 *
 * Errors: `RangeError` for an empty or over-long key, a non-positive `inProgressSeconds`, an empty
 * token, or a summary over `idempotencyLimits.maxSummaryBytes`; `TypeError` for a summary that is
 * not JSON; SDK errors (after the SDK's own retries) propagate — a receiver answers them with a
 * retryable 5xx, and a claim whose fate is unknown simply expires.
 *
 * @example
 * const idempotency = new DynamoDbIdempotencyStore(createDocumentClient(), {
 *   tableName: tableName('prod', webhookIdempotencyTable),
 * });
 */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly now: () => number;
  private readonly corruption: RateLimitedWarning;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbIdempotencyStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.ttlSeconds = options.ttlSeconds ?? webhookLimits.idempotencyTtlSeconds;
    assertTtlSeconds(this.ttlSeconds);
    this.now = options.now ?? Date.now;
    this.corruption = new RateLimitedWarning(options.logger ?? silentLogger, this.now, 60_000);
  }

  async claim(key: string, options: { readonly inProgressSeconds: number }): Promise<ClaimResult> {
    assertIdempotencyKey(key);
    assertInProgressSeconds(options.inProgressSeconds);
    const token = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const now = this.now();
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              idempotency_key: key,
              status: 'IN_PROGRESS',
              claim_token: token,
              in_progress_until: inProgressUntil(now, options.inProgressSeconds),
              expires_at: expiresAtSeconds(now, this.ttlSeconds),
            },
            ConditionExpression: claimCondition,
            ExpressionAttributeNames: pick('#key', '#expires', '#status', '#until'),
            ExpressionAttributeValues: {
              ':now': now,
              ':nowSeconds': nowSeconds(now),
              ':inProgress': 'IN_PROGRESS',
            },
          }),
        );
        return { status: 'claimed', token };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const record = await this.read(key);
      if (record === 'corrupt') return { status: 'in_progress' };
      if (record?.token === token) return { status: 'claimed', token };
      // Judged at the Put's time: claimable now means the item changed since the Put failed.
      if (record !== undefined && !isClaimable(record, now)) {
        return record.status === 'COMPLETED'
          ? { status: 'completed', summary: record.summary }
          : { status: 'in_progress' };
      }
      if (attempt >= idempotencyLimits.maxClaimAttempts) return { status: 'in_progress' };
    }
  }

  async complete(
    key: string,
    token: string,
    summary: Readonly<Record<string, unknown>>,
  ): Promise<CompletionResult> {
    assertIdempotencyKey(key);
    assertClaimToken(token);
    const stored = storableSummary(summary);
    const now = this.now();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { idempotency_key: key },
          UpdateExpression:
            'SET #status = :completed, #summary = :summary, #expires = :expiresAt REMOVE #until',
          ConditionExpression: '#token = :token AND #expires > :nowSeconds',
          ExpressionAttributeNames: pick('#status', '#summary', '#expires', '#until', '#token'),
          ExpressionAttributeValues: {
            ':completed': 'COMPLETED',
            ':summary': stored,
            ':expiresAt': expiresAtSeconds(now, this.ttlSeconds),
            ':token': token,
            ':nowSeconds': nowSeconds(now),
          },
        }),
      );
      return 'completed';
    } catch (error) {
      if (isConditionFailure(error)) return 'claim_lost';
      throw error;
    }
  }

  async release(key: string, token: string): Promise<void> {
    assertIdempotencyKey(key);
    assertClaimToken(token);
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { idempotency_key: key },
          ConditionExpression: '#token = :token AND #status = :inProgress',
          ExpressionAttributeNames: pick('#token', '#status'),
          ExpressionAttributeValues: { ':token': token, ':inProgress': 'IN_PROGRESS' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** The record under `key` as of now (strongly consistent), `undefined` if none, or `'corrupt'`. */
  private async read(key: string): Promise<IdempotencyRecord | undefined | 'corrupt'> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { idempotency_key: key }, ConsistentRead: true }),
    );
    if (item === undefined) return undefined;
    const parsed = itemSchema.safeParse(item);
    if (!parsed.success) {
      this.corruption.warn('Treating a corrupt idempotency record as in progress', {
        table: this.tableName,
        key,
        issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      });
      return 'corrupt';
    }
    const record = parsed.data;
    return record.status === 'IN_PROGRESS'
      ? {
          status: 'IN_PROGRESS',
          token: record.claim_token,
          inProgressUntil: record.in_progress_until,
          expiresAt: record.expires_at,
        }
      : {
          status: 'COMPLETED',
          token: record.claim_token,
          expiresAt: record.expires_at,
          summary: record.summary,
        };
  }
}

/** The expression attribute names an expression uses (DynamoDB rejects unused ones). */
function pick(...placeholders: (keyof typeof attributeNames)[]): Record<string, string> {
  return Object.fromEntries(placeholders.map((placeholder) => [placeholder, attributeNames[placeholder]]));
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
