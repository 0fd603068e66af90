/**
 * The response cache on Redis (ElastiCache/Valkey in AWS, a container locally), built so that
 * Redis can only ever make a request faster: every command is bounded by a short timeout, every
 * failure reads as a miss or a dropped write, and an outage is logged once a minute, not once
 * per request.
 */

import { type Logger, RateLimitedWarning, silentLogger } from '@mangaassist/commons';
import { RedisCommandRunner, type RedisConnection } from '@mangaassist/commons/redis';
import * as z from 'zod/mini';
import type { CachedAnswer, CacheLookup, ResponseCache } from '../cache/response-cache.js';

export interface RedisResponseCacheOptions {
  /**
   * How long an answer is served as fresh, counted from its `storedAt`.
   * @default 300
   */
  readonly ttlSeconds?: number;
  /**
   * How long after going stale an answer is kept as a last resort (`fresh: false`); Redis
   * expires the key after `ttlSeconds + staleTtlSeconds`.
   * @default 86_400
   */
  readonly staleTtlSeconds?: number;
  /**
   * Longest a request waits for one Redis command, including the wait for a connection that
   * is still being made (a cold start, a reconnection); after it the lookup is a miss (or the
   * write is dropped) and a command already sent is left to finish or fail on its own. Kept
   * short on purpose: a cold start's first lookup may miss, but the cache never slows a request.
   * @default 40
   */
  readonly commandTimeoutMs?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * The current time in epoch milliseconds, for freshness and for spacing out warnings.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Least time between two warnings of the same kind (failing commands, corrupted entries);
   * the warning carries how many occurred since the previous one.
   * @default 60_000
   */
  readonly warnIntervalMs?: number;
}

const storedAnswerSchema = z.object({
  text: z.string(),
  model: z.string(),
  modelId: z.string(),
  region: z.string(),
  // Only complete answers are ever written; anything else in the key is not ours to serve.
  stopReason: z.literal('end_turn'),
  usage: z.object({
    inputTokens: z.int().check(z.nonnegative()),
    outputTokens: z.int().check(z.nonnegative()),
    cacheReadInputTokens: z.int().check(z.nonnegative()),
    cacheWriteInputTokens: z.int().check(z.nonnegative()),
  }),
  storedAt: z.number(),
});

const failed = Symbol('failed');

/**
 * A `ResponseCache` on an injected Redis client (build one with `createRedisClient`, which
 * configures it to fail fast). Entries are JSON written with `SET key value PX ttl+stale`;
 * freshness is the age of `storedAt`. What is read is validated: an entry that is not valid
 * JSON of a complete answer reads as a miss. Each command waits for the connection to be ready
 * (`whenRedisReady`) and is sent then. Never throws and never waits longer than
 * `commandTimeoutMs` for Redis.
 *
 * @example
 * const redis = createRedisClient(process.env.REDIS_URL, { logger });
 * const cache = new RedisResponseCache(redis, { logger });
 */
export class RedisResponseCache implements ResponseCache {
  private readonly freshMs: number;
  private readonly keepMs: number;
  private readonly now: () => number;
  private readonly commands: RedisCommandRunner;
  private readonly corruptionWarning: RateLimitedWarning;

  constructor(
    private readonly redis: RedisConnection,
    options: RedisResponseCacheOptions = {},
  ) {
    const ttlSeconds = options.ttlSeconds ?? 300;
    const staleTtlSeconds = options.staleTtlSeconds ?? 86_400;
    if (!(ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be positive, got ${ttlSeconds}`);
    if (!(staleTtlSeconds >= 0)) throw new RangeError(`staleTtlSeconds must be >= 0, got ${staleTtlSeconds}`);
    this.freshMs = ttlSeconds * 1_000;
    this.keepMs = (ttlSeconds + staleTtlSeconds) * 1_000;
    const logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    const warnIntervalMs = options.warnIntervalMs ?? 60_000;
    this.commands = new RedisCommandRunner({
      redis,
      commandTimeoutMs: options.commandTimeoutMs ?? 40,
      logger,
      now: this.now,
      warnIntervalMs,
      outageMessage: 'Response cache unavailable; serving without it',
      recoveredMessage: 'Response cache is reachable again',
    });
    this.corruptionWarning = new RateLimitedWarning(logger, this.now, warnIntervalMs);
  }

  async get(key: string): Promise<CacheLookup | undefined> {
    const raw = await this.run('get', () => this.redis.get(key));
    if (raw === failed || raw === null) return undefined;
    const answer = parseStoredAnswer(raw);
    if (answer === undefined) {
      this.corruptionWarning.warn('Response cache entry is corrupted; treating it as a miss', { key });
      return undefined;
    }
    const age = this.now() - answer.storedAt;
    if (age >= this.keepMs) return undefined;
    return { answer, fresh: age < this.freshMs };
  }

  async set(key: string, answer: CachedAnswer): Promise<void> {
    if (answer.stopReason !== 'end_turn') return;
    // The key lives as long as the answer may be served, counted from when it was produced.
    const remainingMs = Math.min(this.keepMs, Math.floor(answer.storedAt + this.keepMs - this.now()));
    if (remainingMs < 1) return;
    await this.run('set', () => this.redis.set(key, serialize(answer), 'PX', remainingMs));
  }

  /** Every failure reads as a miss or a dropped write: the cache never fails a request. */
  private run<T>(operation: 'get' | 'set', command: () => Promise<T>): Promise<T | typeof failed> {
    return this.commands.run(operation, command).catch(() => failed);
  }
}

function parseStoredAnswer(raw: string): CachedAnswer | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = storedAnswerSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Writes only the known fields, whatever else the caller's object carries. */
function serialize(answer: CachedAnswer): string {
  const { text, model, modelId, region, stopReason, usage, storedAt } = answer;
  const { inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens } = usage;
  return JSON.stringify({
    text,
    model,
    modelId,
    region,
    stopReason,
    usage: { inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens },
    storedAt,
  });
}
