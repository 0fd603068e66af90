/**
 * The usage ledger on Redis (ElastiCache/Valkey in AWS, a server locally): one hash per tenant
 * and UTC day, incremented atomically by every instance, so a tenant's daily budget holds
 * across all Lambda instances and containers.
 */

import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import { RedisCommandRunner, type RedisConnection } from '@mangaassist/commons/redis';
import { UsageLedgerUnavailableError } from '../store-errors.js';
import type { DailyUsage, UsageLedger } from '../usage-ledger.js';

export interface RedisUsageLedgerOptions {
  /**
   * Longest wait for one Redis round trip, including the wait for a connection that is still
   * being made (`whenRedisReady`: a new instance's first request waits for its connection
   * instead of failing open); after it the call fails with `UsageLedgerUnavailableError` (a
   * write already sent may still land later: it is never retried, so it is never counted twice;
   * one still waiting for the connection is never sent). Short, as `check` is on the request
   * path: a connection slower than this fails the first check open, and the next one that finds
   * it ready is enforced.
   * @default 40
   */
  readonly commandTimeoutMs?: number;
  /**
   * How long a day's hash is kept after its last write, for inspection and late readers.
   * @default 259_200 (3 days)
   */
  readonly retentionSeconds?: number;
  /** Receives outage warnings (at most one per `warnIntervalMs`) and recoveries. @default silentLogger */
  readonly logger?: Logger;
  /** For spacing out warnings. @default Date.now */
  readonly now?: () => number;
  /** @default 60_000 */
  readonly warnIntervalMs?: number;
}

/**
 * A `UsageLedger` on an injected Redis client (build one with `createRedisClient`, which
 * fails fast while disconnected; each call waits for the connection within its bound).
 *
 * Layout: key `usage:<tenant>:<YYYY-MM-DD>`, a hash with `cost_usd` (HINCRBYFLOAT),
 * `input_tokens`, `output_tokens` and `requests` (HINCRBY). `add` sends the four increments and
 * an EXPIRE as one MULTI/EXEC, so concurrent adds from any number of instances sum exactly
 * and a reader never sees half a request.
 *
 * Failure semantics: both methods throw `UsageLedgerUnavailableError` when Redis does not
 * answer within `commandTimeoutMs` or answers with an error; `add` throws `RangeError` for
 * usage that is not finite and non-negative (tokens: whole numbers). A value in the hash that
 * is not a number reads as 0.
 *
 * @example
 * const ledger = new RedisUsageLedger(createRedisClient(config.redisUrl, { logger }), { logger });
 */
export class RedisUsageLedger implements UsageLedger {
  private readonly retentionSeconds: number;
  private readonly commands: RedisCommandRunner;

  constructor(
    private readonly redis: RedisConnection,
    options: RedisUsageLedgerOptions = {},
  ) {
    this.commands = new RedisCommandRunner({
      redis,
      commandTimeoutMs: options.commandTimeoutMs ?? 40,
      logger: options.logger ?? silentLogger,
      now: options.now ?? Date.now,
      warnIntervalMs: options.warnIntervalMs ?? 60_000,
      outageMessage: 'Usage ledger (Redis) unavailable',
      recoveredMessage: 'Usage ledger is reachable again',
    });
    const retentionSeconds = options.retentionSeconds ?? 3 * 86_400;
    if (!Number.isInteger(retentionSeconds) || retentionSeconds < 1) {
      throw new RangeError(`retentionSeconds must be a whole number >= 1, got ${retentionSeconds}`);
    }
    this.retentionSeconds = retentionSeconds;
  }

  async spent(tenantId: string, day: string): Promise<DailyUsage> {
    const fields = await this.run('spent', () => this.redis.hgetall(usageKey(tenantId, day)));
    return {
      costUsd: numberField(fields.cost_usd),
      inputTokens: numberField(fields.input_tokens),
      outputTokens: numberField(fields.output_tokens),
      requests: numberField(fields.requests),
    };
  }

  async add(tenantId: string, day: string, usage: Omit<DailyUsage, 'requests'>): Promise<void> {
    assertUsage(usage);
    const key = usageKey(tenantId, day);
    const replies = await this.run('add', () =>
      this.redis
        .multi()
        .hincrbyfloat(key, 'cost_usd', usage.costUsd)
        .hincrby(key, 'input_tokens', usage.inputTokens)
        .hincrby(key, 'output_tokens', usage.outputTokens)
        .hincrby(key, 'requests', 1)
        .expire(key, this.retentionSeconds)
        .exec(),
    );
    // EXEC answers null when the transaction was aborted; each reply carries its own error.
    const failure =
      replies === null ? new Error('transaction aborted') : replies.find(([error]) => error)?.[0];
    if (failure) {
      this.commands.reportFailure('add', failure);
      throw new UsageLedgerUnavailableError(`Usage ledger add failed: ${errorMessage(failure)}`, {
        cause: failure,
      });
    }
  }

  private async run<T>(operation: 'spent' | 'add', command: () => Promise<T>): Promise<T> {
    try {
      return await this.commands.run(operation, command);
    } catch (error) {
      throw new UsageLedgerUnavailableError(`Usage ledger ${operation} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

/** The Redis key of one tenant's day. */
export function usageKey(tenantId: string, day: string): string {
  return `usage:${tenantId}:${day}`;
}

function numberField(value: string | undefined): number {
  const number = Number(value ?? 0);
  return Number.isFinite(number) ? number : 0;
}

function assertUsage(usage: Omit<DailyUsage, 'requests'>): void {
  if (!(Number.isFinite(usage.costUsd) && usage.costUsd >= 0)) {
    throw new RangeError(`costUsd must be a finite number >= 0, got ${usage.costUsd}`);
  }
  for (const name of ['inputTokens', 'outputTokens'] as const) {
    const value = usage[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a whole number >= 0, got ${value}`);
    }
  }
}
