/**
 * The response cache on Redis (ElastiCache/Valkey in AWS, a container locally), built so that
 * Redis can only ever make a request faster: every command is bounded by a short timeout, every
 * failure reads as a miss or a dropped write, and an outage is logged once a minute, not once
 * per request.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { CachedAnswer, CacheLookup, ResponseCache } from '../cache/response-cache.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import { errorMessage, RateLimitedWarning } from '../observability/rate-limited-warning.js';
import { boundedCall } from '../resilience/bounded-call.js';

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
   * @default 50
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
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    cacheReadInputTokens: z.number().int().nonnegative(),
    cacheWriteInputTokens: z.number().int().nonnegative(),
  }),
  storedAt: z.number(),
});

const failed = Symbol('failed');

/**
 * A `ResponseCache` on an injected ioredis client (build one with `createRedisClient`, which
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
  private readonly commandTimeoutMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly outageWarning: RateLimitedWarning;
  private readonly corruptionWarning: RateLimitedWarning;

  constructor(
    private readonly redis: Redis,
    options: RedisResponseCacheOptions = {},
  ) {
    const ttlSeconds = options.ttlSeconds ?? 300;
    const staleTtlSeconds = options.staleTtlSeconds ?? 86_400;
    const commandTimeoutMs = options.commandTimeoutMs ?? 50;
    if (!(ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be positive, got ${ttlSeconds}`);
    if (!(staleTtlSeconds >= 0)) throw new RangeError(`staleTtlSeconds must be >= 0, got ${staleTtlSeconds}`);
    if (!(commandTimeoutMs > 0))
      throw new RangeError(`commandTimeoutMs must be positive, got ${commandTimeoutMs}`);
    this.freshMs = ttlSeconds * 1_000;
    this.keepMs = (ttlSeconds + staleTtlSeconds) * 1_000;
    this.commandTimeoutMs = commandTimeoutMs;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    const warnIntervalMs = options.warnIntervalMs ?? 60_000;
    this.outageWarning = new RateLimitedWarning(this.logger, this.now, warnIntervalMs);
    this.corruptionWarning = new RateLimitedWarning(this.logger, this.now, warnIntervalMs);
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

  private async run<T>(operation: 'get' | 'set', command: () => Promise<T>): Promise<T | typeof failed> {
    try {
      // The wait for a connection being made counts against the same short bound: on a cold
      // start the first lookup is a miss unless the connection is ready in time.
      const result = await boundedCall(async (signal) => {
        await whenRedisReady(this.redis, signal);
        return command();
      }, this.commandTimeoutMs);
      const failures = this.outageWarning.recover();
      if (failures > 0) this.logger.info('Response cache is reachable again', { failures });
      return result;
    } catch (error) {
      this.outageWarning.warn(unavailableMessage, {
        operation,
        error: errorMessage(error),
        status: this.redis.status,
      });
      return failed;
    }
  }
}

const unavailableMessage = 'Response cache unavailable; serving without it';

export interface RedisClientOptions {
  /** Receives connection errors (rate-limited) and reconnections. @default silentLogger */
  readonly logger?: Logger;
  /**
   * Longest wait for a TCP connection (and TLS handshake) before it is abandoned and retried.
   * @default 500
   */
  readonly connectTimeoutMs?: number;
  /**
   * ioredis's own per-command timeout; it cleans up commands that outlive the adapter's
   * shorter race, so nothing piles up on a hung connection.
   * @default 250
   */
  readonly commandTimeoutMs?: number;
  /**
   * A connection that owes replies and receives nothing for this long is destroyed and
   * reconnected: it catches half-open sockets (failover, network partitions) long before TCP
   * keep-alive would.
   * @default 1_000
   */
  readonly socketTimeoutMs?: number;
  /**
   * Cap of the exponential reconnection backoff (100 ms, 200 ms, … plus up to 100 ms jitter).
   * @default 5_000
   */
  readonly maxReconnectDelayMs?: number;
  /** Any other ioredis options (TLS, username, password, db); applied last, so they win. */
  readonly redisOptions?: RedisOptions;
}

/**
 * Builds an ioredis client configured for a cache that must never slow a request down:
 * no offline queue (a command sent while disconnected fails at once instead of waiting for
 * the connection), no retries of a failed command, short connect and command timeouts, and
 * endless background reconnection with capped backoff. An `error` listener logs connection
 * failures (at most once a minute) so an unreachable Redis never surfaces as an unhandled
 * `error` event. The connection starts immediately: create the client during a Lambda's
 * init, outside the handler, and `quit()` it when the process shuts down. Because nothing is
 * queued, every adapter on this client must `await whenRedisReady(client, signal)` inside its
 * time bound before each command, or the commands of a new instance fail until it is ready.
 *
 * @example const redis = createRedisClient('rediss://cache.example.internal:6379', { logger });
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const logger = options.logger ?? silentLogger;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 5_000;
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: options.connectTimeoutMs ?? 500,
    commandTimeout: options.commandTimeoutMs ?? 250,
    socketTimeout: options.socketTimeoutMs ?? 1_000,
    lazyConnect: false,
    retryStrategy: (attempt) =>
      Math.min(100 * 2 ** Math.min(attempt - 1, 16), maxReconnectDelayMs) + Math.floor(Math.random() * 100),
    ...options.redisOptions,
  });
  const connectionWarning = new RateLimitedWarning(logger, Date.now, 60_000);
  client.on('error', (error: unknown) => {
    connectionWarning.warn('Redis connection error; retrying in the background', {
      error: errorMessage(error),
    });
  });
  client.on('ready', () => {
    const failures = connectionWarning.recover();
    if (failures > 0) logger.info('Redis connection is ready again', { failures });
  });
  return client;
}

/** The part of an ioredis client that `whenRedisReady` watches. */
export interface RedisConnectionState {
  /** ioredis's connection status: `wait`, `connecting`, `connect`, `ready`, `close`, `reconnecting`, `end`. */
  readonly status: string;
  connect(): Promise<void>;
  once(event: 'ready' | 'end', listener: () => void): unknown;
  removeListener(event: 'ready' | 'end', listener: () => void): unknown;
}

/** The waiters of each client that is not ready yet, released together by one listener pair. */
const waitersByClient = new WeakMap<RedisConnectionState, ConnectionWaiters>();

interface ConnectionWaiters {
  readonly waiters: Set<() => void>;
  readonly release: () => void;
}

/**
 * Resolves when the client can take a command: at once when its status is `ready`, else on its
 * next `ready`. Call it before each command of a client made by `createRedisClient`: with no
 * offline queue, a command sent while the connection is still being made (a new Lambda
 * instance's first request, a reconnection) fails at once instead of waiting for it.
 *
 * Never rejects on its own and sets no timer: the caller bounds the wait, and passes the signal
 * of that bound (`boundedCall` hands one to its call); when the signal aborts, it rejects with
 * the signal's reason and removes everything it registered, so a command that timed out waiting
 * is never sent later and no listener is left behind. Also resolves for a client that has ended
 * (`quit`/`disconnect`), whose command then fails at once; starts the connection of a lazy client
 * that has not connected yet (`wait`). All waiters of one client share one `ready` and one `end`
 * listener, so many concurrent waits never trip Node's listener-leak warning.
 *
 * @example await boundedCall(async (signal) => { await whenRedisReady(redis, signal); return redis.get(key); }, 50);
 */
export function whenRedisReady(redis: RedisConnectionState, signal?: AbortSignal): Promise<void> {
  if (redis.status === 'ready' || redis.status === 'end') return Promise.resolve();
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (redis.status === 'wait') redis.connect().catch(() => {});
  return new Promise<void>((resolve, reject) => {
    const client = connectionWaiters(redis);
    const onAbort = () => {
      client.waiters.delete(waiter);
      if (client.waiters.size === 0) client.release();
      reject(signal?.reason);
    };
    const waiter = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    client.waiters.add(waiter);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function connectionWaiters(redis: RedisConnectionState): ConnectionWaiters {
  const existing = waitersByClient.get(redis);
  if (existing) return existing;
  const waiters = new Set<() => void>();
  const release = () => {
    redis.removeListener('ready', releaseAll);
    redis.removeListener('end', releaseAll);
    waitersByClient.delete(redis);
  };
  const releaseAll = () => {
    release();
    for (const waiter of waiters) waiter();
  };
  redis.once('ready', releaseAll);
  redis.once('end', releaseAll);
  const client = { waiters, release };
  waitersByClient.set(redis, client);
  return client;
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
