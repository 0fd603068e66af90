import { randomUUID } from 'node:crypto';
import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  assertTtlSeconds,
  backoffDelayMs,
  type Clock,
  expiresAtSeconds,
  hasExpired,
  type Logger,
  type Random,
  RateLimitedWarning,
  silentLogger,
  systemClock,
} from '@mangaassist/commons';
import * as z from 'zod/mini';
import { SessionConflictError } from '../sessions/session-errors.js';
import { assertHistoryLimit, sessionPartitionKey } from '../sessions/session-rules.js';
import type { SessionStore, SessionTurn } from '../sessions/session-store.js';

/** DynamoDB's quotas that shape the writes: actions per transaction, bytes per transaction, deletes per batch. */
export const dynamoDbWriteLimits = {
  maxTransactionItems: 100,
  /** 4 MB per transaction; the estimate below stays under it with room to spare. */
  maxTransactionBytes: 3_500_000,
  maxBatchWriteItems: 25,
} as const;

export interface DynamoDbSessionStoreOptions {
  /** The table built from `sessionsTable` (`tableName(stage, sessionsTable)`). */
  readonly tableName: string;
  /**
   * How long a turn is kept after it was appended; written as `expires_at` for DynamoDB's TTL.
   * @default 86_400
   */
  readonly ttlSeconds?: number;
  /**
   * The current time in epoch milliseconds (for `expires_at` and for hiding expired turns).
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Attempts per chunk of an append, the first included, when the turn numbers it was given are
   * already taken (by turns older than the session's counter); then `SessionConflictError`.
   * @default 10
   */
  readonly maxAppendAttempts?: number;
  /**
   * Attempts of a batch of deletes in `clear` while DynamoDB leaves some unprocessed.
   * @default 5
   */
  readonly maxDeleteAttempts?: number;
  /**
   * Waits between attempts, with full-jitter backoff: after taken turn numbers 10 ms doubling up
   * to 200 ms, after unprocessed deletes 50 ms doubling up to 1 s.
   * @default systemClock
   */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: Random;
  /** Receives a (rate-limited) warning for each corrupt item skipped. @default silentLogger */
  readonly logger?: Logger;
}

/** A turn item as read back; anything else in the table is skipped as corrupt. */
const turnItemSchema = z.object({
  pk: z.string(),
  turn: z.int().check(z.positive()),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  at: z.string(),
  model: z.optional(z.string()),
  expires_at: z.optional(z.number()),
});

const turnNumberSchema = z.object({ turn: z.int().check(z.nonnegative()) });

/** The sort key of a session's turn counter: before every turn, which count from 1. */
const counterTurn = 0;

const counterSchema = z.object({ last_turn: z.int().check(z.nonnegative()) });

const cancellationReasonsSchema = z.array(z.looseObject({ Code: z.optional(z.string()) }));

const conflictReasons: ReadonlySet<string> = new Set(['ConditionalCheckFailed', 'TransactionConflict']);
/** Taken turn numbers are fixed by moving the counter past them, so a retry need not wait long. */
const conflictBackoff = { baseDelayMs: 10, maxDelayMs: 200 } as const;
/** Unprocessed deletes mean the partition is throttled: give it time. */
const unprocessedBackoff = { baseDelayMs: 50, maxDelayMs: 1_000 } as const;

type KeyOfTurn = { readonly pk: string; readonly turn: number };

/**
 * The session-store port on DynamoDB, one item per turn in the `sessionsTable` layout:
 * `pk` = `<tenant>#<session id>`, `turn` = the turn's 1-based number, then `role`, `content`,
 * `at`, `model` (assistant turns) and `expires_at` (epoch seconds, `ttlSeconds` after the append).
 *
 * A counter item at `turn` 0 (`last_turn`, with the same `expires_at`) hands out turn numbers.
 *
 * - `history`: one strongly consistent Query over `turn > 0`, newest first, `Limit` = `limit`,
 *   returned oldest first. Turns past `expires_at` are hidden (DynamoDB's TTL deletes them only
 *   eventually); an item that does not read as a turn is skipped and logged, never thrown.
 * - `append`: takes as many numbers as it has turns from the counter in one atomic `ADD`, then
 *   writes the turns under them in one `TransactWriteItems`, each Put conditioned on
 *   `attribute_not_exists(pk)`. Concurrent appends to one session therefore never race: each gets
 *   its own consecutive numbers (a question stays right before its answer), in the order they
 *   reached the counter, and none is lost however many there are. Numbers an append took but
 *   could not write stay unused — a gap history does not show. Should the numbers be taken after
 *   all (turns written before the counter existed, or a counter that expired before its turns
 *   were deleted), it moves the counter past the last stored turn and retries after a jittered
 *   backoff, up to `maxAppendAttempts`, then throws `SessionConflictError`. A single turn also
 *   goes through a transaction: its client request token makes the SDK's own retry of a write
 *   that succeeded unseen harmless, where a retried conditional Put would fail.
 * - Appends beyond one transaction (100 turns, or about 3.5 MB) are written in chunks, in order;
 *   each chunk is all-or-nothing, but a concurrent writer's turns may land between two chunks and
 *   an error after the first chunk leaves the earlier chunks stored.
 * - `clear`: pages through the session's turns and deletes them 25 at a time with BatchWriteItem,
 *   resending unprocessed deletes with backoff up to `maxDeleteAttempts`, then throws. The counter
 *   stays (until its TTL), so turns appended after a clear are numbered after any that an append
 *   running during it wrote late — those may survive the clear, but never read as newer.
 *
 * Errors: `RangeError` for a bad `limit` or tenant id; `SessionConflictError`; SDK errors
 * (after the SDK's own retries) propagate.
 *
 * @example
 * const sessions = new DynamoDbSessionStore(createDocumentClient(), {
 *   tableName: tableName('prod', sessionsTable),
 * });
 */
export class DynamoDbSessionStore implements SessionStore {
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly now: () => number;
  private readonly maxAppendAttempts: number;
  private readonly maxDeleteAttempts: number;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly corruption: RateLimitedWarning;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbSessionStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.ttlSeconds = options.ttlSeconds ?? 86_400;
    assertTtlSeconds(this.ttlSeconds);
    this.now = options.now ?? Date.now;
    this.maxAppendAttempts = positiveInteger('maxAppendAttempts', options.maxAppendAttempts ?? 10);
    this.maxDeleteAttempts = positiveInteger('maxDeleteAttempts', options.maxDeleteAttempts ?? 5);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.corruption = new RateLimitedWarning(options.logger ?? silentLogger, this.now, 60_000);
  }

  async history(tenantId: string, sessionId: string, limit: number): Promise<SessionTurn[]> {
    assertHistoryLimit(limit);
    const pk = sessionPartitionKey(tenantId, sessionId);
    if (limit === 0) return [];
    const items: unknown[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      // A page ends at `Limit` items or 1 MB, whichever comes first: keep going for the rest.
      const page = await this.client.send(
        new QueryCommand({
          ...this.turnsOf(pk),
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: limit - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < limit);

    const now = this.now();
    const turns: SessionTurn[] = [];
    for (const item of items.reverse()) {
      const parsed = turnItemSchema.safeParse(item);
      if (!parsed.success) {
        this.corruption.warn('Skipping a session item that is not a valid turn', {
          table: this.tableName,
          pk,
          turn: turnNumberSchema.safeParse(item).data?.turn,
          issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
        });
        continue;
      }
      if (hasExpired(parsed.data.expires_at, now)) continue;
      const { role, content, at, model } = parsed.data;
      turns.push({ role, content, at, ...(model === undefined ? {} : { model }) });
    }
    return turns;
  }

  async append(tenantId: string, sessionId: string, turns: readonly SessionTurn[]): Promise<void> {
    const pk = sessionPartitionKey(tenantId, sessionId);
    if (turns.length === 0) return;
    const expiresAt = expiresAtSeconds(this.now(), this.ttlSeconds);
    for (const chunk of transactionChunks(turns)) {
      await this.appendChunk(pk, chunk, expiresAt, { tenantId, sessionId });
    }
  }

  async clear(tenantId: string, sessionId: string): Promise<void> {
    const pk = sessionPartitionKey(tenantId, sessionId);
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          ...this.turnsOf(pk),
          ProjectionExpression: 'pk, #turn',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      const keys = (page.Items ?? []).map((item): KeyOfTurn => ({ pk, turn: Number(item.turn) }));
      for (let start = 0; start < keys.length; start += dynamoDbWriteLimits.maxBatchWriteItems) {
        await this.deleteBatch(keys.slice(start, start + dynamoDbWriteLimits.maxBatchWriteItems));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  private async appendChunk(
    pk: string,
    turns: readonly SessionTurn[],
    expiresAt: number,
    ids: { readonly tenantId: string; readonly sessionId: string },
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const first = await this.takeTurnNumbers(pk, turns.length, expiresAt);
      try {
        await this.client.send(
          new TransactWriteCommand({
            ClientRequestToken: randomUUID(),
            TransactItems: turns.map((turn, index) => ({
              Put: {
                TableName: this.tableName,
                Item: turnItem(pk, first + index, turn, expiresAt),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
          }),
        );
        return;
      } catch (error) {
        if (!isWriteConflict(error)) throw error;
        if (attempt >= this.maxAppendAttempts) {
          throw new SessionConflictError(ids.tenantId, ids.sessionId, attempt);
        }
        await this.moveCounterPast(pk, await this.lastTurnNumber(pk), expiresAt);
        await this.clock.sleep(backoffDelayMs(attempt - 1, conflictBackoff, this.random));
      }
    }
  }

  /** Takes `count` consecutive turn numbers from the session's counter; returns the first. */
  private async takeTurnNumbers(pk: string, count: number, expiresAt: number): Promise<number> {
    const { Attributes: counter } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk, turn: counterTurn },
        UpdateExpression: 'ADD last_turn :count SET expires_at = :expiresAt',
        ExpressionAttributeValues: { ':count': count, ':expiresAt': expiresAt },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return counterSchema.parse(counter).last_turn - count + 1;
  }

  /** Raises the counter to `last` unless it is there already (another append may have moved it). */
  private async moveCounterPast(pk: string, last: number, expiresAt: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk, turn: counterTurn },
          UpdateExpression: 'SET last_turn = :last, expires_at = :expiresAt',
          ConditionExpression: 'attribute_not_exists(last_turn) OR last_turn < :last',
          ExpressionAttributeValues: { ':last': last, ':expiresAt': expiresAt },
        }),
      );
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
    }
  }

  private async lastTurnNumber(pk: string): Promise<number> {
    const { Items: items } = await this.client.send(
      new QueryCommand({
        ...this.turnsOf(pk),
        ProjectionExpression: '#turn',
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    // `turn` is the table's numeric sort key, so DynamoDB itself guarantees it is a number.
    return turnNumberSchema.safeParse(items?.[0]).data?.turn ?? 0;
  }

  /** The key condition of a session's turns: its partition, past the counter. */
  private turnsOf(pk: string) {
    return {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND #turn > :counter',
      ExpressionAttributeNames: { '#turn': 'turn' },
      ExpressionAttributeValues: { ':pk': pk, ':counter': counterTurn },
    };
  }

  private async deleteBatch(keys: readonly KeyOfTurn[]): Promise<void> {
    let requests: NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] = keys.map((key) => ({
      DeleteRequest: { Key: { pk: key.pk, turn: key.turn } },
    }));
    for (let attempt = 1; ; attempt++) {
      const { UnprocessedItems: unprocessed } = await this.client.send(
        new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
      );
      requests = unprocessed?.[this.tableName] ?? [];
      if (requests.length === 0) return;
      if (attempt >= this.maxDeleteAttempts) {
        throw new Error(
          `Could not clear a session of ${this.tableName}: ${requests.length} deletes still unprocessed ` +
            `after ${attempt} attempts`,
        );
      }
      await this.clock.sleep(backoffDelayMs(attempt - 1, unprocessedBackoff, this.random));
    }
  }
}

function turnItem(pk: string, turn: number, value: SessionTurn, expiresAt: number): Record<string, unknown> {
  // Only the port's fields are written, whatever else the caller's object carries.
  return {
    pk,
    turn,
    role: value.role,
    content: value.content,
    at: value.at,
    ...(value.model === undefined ? {} : { model: value.model }),
    expires_at: expiresAt,
  };
}

/** Splits turns into in-order chunks that each fit one transaction. */
function transactionChunks(turns: readonly SessionTurn[]): SessionTurn[][] {
  const chunks: SessionTurn[][] = [];
  let current: SessionTurn[] = [];
  let bytes = 0;
  for (const turn of turns) {
    // Generous per-item estimate: the JSON of the item plus room for the key and attribute names.
    const size = Buffer.byteLength(JSON.stringify(turn), 'utf8') + 256;
    if (
      current.length > 0 &&
      (current.length >= dynamoDbWriteLimits.maxTransactionItems ||
        bytes + size > dynamoDbWriteLimits.maxTransactionBytes)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(turn);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Whether a failed write lost a race for its keys: a cancelled transaction whose reasons are all
 * failed conditions or conflicts with another transaction (anything else, such as a validation
 * error or throttling, is not fixed by fresh turn numbers).
 */
function isWriteConflict(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TransactionConflictException') return true;
  if (error.name !== 'TransactionCanceledException') return false;
  const reasons = cancellationReasonsSchema.safeParse(Reflect.get(error, 'CancellationReasons')).data ?? [];
  const codes = reasons.map((reason) => reason.Code ?? 'None').filter((code) => code !== 'None');
  return codes.length > 0 && codes.every((code) => conflictReasons.has(code));
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
